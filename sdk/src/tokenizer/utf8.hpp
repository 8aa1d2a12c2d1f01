// UTF-8 primitives used on every hot path of the tokenizer: decoding one code
// point, stepping back, encoding, and Rust's `String::from_utf8_lossy`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace wizard::tokenizer {

// The code point starting at text[pos] (which must be < text.size()) and its
// byte length. Invalid sequences decode as U+FFFD with length 1.
struct CodePoint {
  char32_t value;
  std::uint32_t length;
};

inline CodePoint decode_utf8(std::string_view text, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  if (lead < 0x80) return {lead, 1};
  const std::size_t left = text.size() - pos;
  const auto continuation = [&](std::size_t i) { return (byte(pos + i) & 0xC0) == 0x80; };
  if (lead >= 0xC2 && lead <= 0xDF && left >= 2 && continuation(1))
    return {static_cast<char32_t>(((lead & 0x1F) << 6) | (byte(pos + 1) & 0x3F)), 2};
  if (lead >= 0xE0 && lead <= 0xEF && left >= 3 && continuation(1) && continuation(2)) {
    const char32_t cp =
        ((lead & 0x0F) << 12) | ((byte(pos + 1) & 0x3F) << 6) | (byte(pos + 2) & 0x3F);
    if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) return {cp, 3};
  }
  if (lead >= 0xF0 && lead <= 0xF4 && left >= 4 && continuation(1) && continuation(2) &&
      continuation(3)) {
    const char32_t cp = ((lead & 0x07) << 18) | ((byte(pos + 1) & 0x3F) << 12) |
                        ((byte(pos + 2) & 0x3F) << 6) | (byte(pos + 3) & 0x3F);
    if (cp >= 0x10000 && cp <= 0x10FFFF) return {cp, 4};
  }
  return {0xFFFD, 1};
}

// The start of the code point that ends right before `pos` (pos > 0), in valid UTF-8.
inline std::size_t previous_boundary(std::string_view text, std::size_t pos) {
  do {
    --pos;
  } while (pos > 0 && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80);
  return pos;
}

void append_utf8(std::string& out, char32_t cp);

// Bytes as text the way Rust's String::from_utf8_lossy does it: each maximal
// invalid subpart becomes one U+FFFD.
std::string from_utf8_lossy(std::string_view bytes);

// True when `bytes` is valid UTF-8 (what Rust's String::from_utf8 accepts).
bool is_valid_utf8(std::string_view bytes);

}  // namespace wizard::tokenizer
