// The SDK's one UTF-8 decoder (tokenizer, chat templates, data files all use it).
//
// One rule for invalid bytes, Unicode's "maximal subpart" practice, which Rust's
// String::from_utf8_lossy, Python's bytes.decode(errors="replace") and ICU all follow: an
// invalid sequence decodes as one U+FFFD (marked not valid) covering the longest prefix that
// could still have begun a valid sequence, at least one byte. Overlong forms, surrogates
// (U+D800..U+DFFF), values above U+10FFFF and truncated sequences are invalid.
// What callers do with that: the tokenizer reads invalid input as those U+FFFDs (a Rust &str
// cannot hold it), data files refuse it with file:line:column, chat templates read it as U+FFFD.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wizard::utf8 {

inline constexpr char32_t kReplacement = 0xFFFD;

struct CodePoint {
  char32_t value;        // kReplacement when !valid
  std::uint32_t length;  // bytes, at least 1
  bool valid;
};

inline bool is_continuation(unsigned char byte) {
  return (byte & 0xC0) == 0x80;
}

// The code point starting at text[pos] (pos < text.size()).
inline CodePoint decode(std::string_view text, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return {lead, 1, true};
  std::uint32_t needed;
  char32_t value;
  // The first continuation byte's range excludes overlongs, surrogates and > U+10FFFF
  // (Unicode Table 3-7); later ones are 80..BF.
  unsigned char low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    needed = 1;
    value = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    needed = 2;
    value = lead & 0x0F;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    needed = 3;
    value = lead & 0x07;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return {kReplacement, 1, false};
  }
  const std::size_t available = text.size() - pos - 1;
  for (std::uint32_t i = 1; i <= needed; ++i) {
    if (i > available) return {kReplacement, i, false};
    const unsigned char b = byte(i);
    if (b < low || b > high) return {kReplacement, i, false};
    value = (value << 6) | (b & 0x3F);
    low = 0x80;
    high = 0xBF;
  }
  return {value, needed + 1, true};
}

// Decodes the code point at `pos` and moves `pos` past it.
inline char32_t next(std::string_view text, std::size_t& pos) {
  const CodePoint cp = decode(text, pos);
  pos += cp.length;
  return cp.value;
}

// The start of the code point that ends right before `pos` (0 < pos <= text.size()), in valid
// UTF-8.
inline std::size_t previous_boundary(std::string_view text, std::size_t pos) {
  do {
    --pos;
  } while (pos > 0 && is_continuation(static_cast<unsigned char>(text[pos])));
  return pos;
}

// Appends the UTF-8 form of `cp` (at most U+10FFFF).
void append(std::string& out, char32_t cp);

// The offset of the first invalid sequence, or npos when `text` is valid UTF-8 (what Rust's
// String::from_utf8 and Python's bytes.decode accept).
std::size_t find_invalid(std::string_view text);
inline bool is_valid(std::string_view text) {
  return find_invalid(text) == std::string_view::npos;
}

// `text` with each invalid sequence replaced by U+FFFD: Rust's String::from_utf8_lossy.
std::string replace_invalid(std::string_view text);

// Number of code points (an invalid sequence counts as one): Python's len().
std::size_t count(std::string_view text);

// Byte offset of every code point, then text.size().
std::vector<std::size_t> boundaries(std::string_view text);

bool is_ascii(std::string_view text);

}  // namespace wizard::utf8
