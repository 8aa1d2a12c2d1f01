
#include <cstring>

#include "base/utf8.hpp"

namespace wizard::utf8 {

void append(std::string& out, char32_t cp) {
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

// The length of the ASCII prefix of text[pos..], eight bytes at a time.
std::size_t skip_ascii(std::string_view text, std::size_t pos) {
  while (pos + 8 <= text.size()) {
    std::uint64_t chunk;
    std::memcpy(&chunk, text.data() + pos, 8);
    if (chunk & 0x8080808080808080ull) break;
    pos += 8;
  }
  while (pos < text.size() && static_cast<unsigned char>(text[pos]) < 0x80) ++pos;
  return pos;
}

}  // namespace

std::size_t find_invalid(std::string_view text) {
  for (std::size_t pos = skip_ascii(text, 0); pos < text.size();) {
    const CodePoint cp = decode(text, pos);
    if (!cp.valid) return pos;
    pos += cp.length;
  }
  return std::string_view::npos;
}

std::string replace_invalid(std::string_view text) {
  const std::size_t first = find_invalid(text);
  if (first == std::string_view::npos) return std::string(text);
  std::string out(text.substr(0, first));
  out.reserve(text.size() + 2);
  for (std::size_t pos = first; pos < text.size();) {
    const CodePoint cp = decode(text, pos);
    if (cp.valid)
      out.append(text.data() + pos, cp.length);
    else
      append(out, kReplacement);
    pos += cp.length;
  }
  return out;
}

bool is_ascii(std::string_view text) {
  return skip_ascii(text, 0) == text.size();
}

std::size_t count(std::string_view text) {
  std::size_t pos = skip_ascii(text, 0), n = pos;
  for (; pos < text.size(); ++n) pos += decode(text, pos).length;
  return n;
}

std::vector<std::size_t> boundaries(std::string_view text) {
  std::vector<std::size_t> offsets;
  offsets.reserve(text.size() + 1);
  for (std::size_t pos = 0; pos < text.size(); pos += decode(text, pos).length)
    offsets.push_back(pos);
  offsets.push_back(text.size());
  return offsets;
}

}  // namespace wizard::utf8
