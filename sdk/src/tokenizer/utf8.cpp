#include "tokenizer/utf8.hpp"

#include <cstring>

namespace wizard::tokenizer {

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

namespace {

// Length of the longest prefix of bytes[pos..] that can still start a valid
// sequence (Unicode's "maximal subpart"), at least 1. Rust and ICU both replace
// exactly that prefix with one U+FFFD.
std::size_t maximal_invalid_subpart(std::string_view bytes, std::size_t pos) {
  const auto at = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  const unsigned char lead = at(pos);
  std::size_t needed = 0;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the first continuation byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    needed = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    needed = 2;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    needed = 3;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 1;
  }
  std::size_t length = 1;
  for (std::size_t i = 1; i <= needed && pos + i < bytes.size(); ++i) {
    const unsigned char b = at(pos + i);
    const bool ok = i == 1 ? (b >= low && b <= high) : (b >= 0x80 && b <= 0xBF);
    if (!ok) break;
    ++length;
  }
  return length;
}

}  // namespace

std::string from_utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const CodePoint cp = decode_utf8(bytes, pos);
    const bool genuine_replacement = cp.value == 0xFFFD && cp.length == 3;
    if (cp.value != 0xFFFD || genuine_replacement) {
      out.append(bytes.data() + pos, cp.length);
      pos += cp.length;
    } else {
      out.append("\xEF\xBF\xBD");
      pos += maximal_invalid_subpart(bytes, pos);
    }
  }
  return out;
}

bool is_valid_utf8(std::string_view bytes) {
  std::size_t pos = 0;
  // ASCII runs eight bytes at a time.
  while (pos + 8 <= bytes.size()) {
    std::uint64_t chunk;
    std::memcpy(&chunk, bytes.data() + pos, 8);
    if (chunk & 0x8080808080808080ull) break;
    pos += 8;
  }
  while (pos < bytes.size()) {
    const CodePoint cp = decode_utf8(bytes, pos);
    if (cp.value == 0xFFFD && cp.length != 3) return false;
    pos += cp.length;
  }
  return true;
}

}  // namespace wizard::tokenizer
