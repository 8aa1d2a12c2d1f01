#include "utf8_text.hpp"

namespace wizard::data_detail {

namespace {

bool is_continuation(unsigned char byte) {
  return (byte & 0xC0) == 0x80;
}

// Length of the valid sequence at `offset`, or 0 when it is invalid (overlong
// forms, surrogates and values above U+10FFFF are invalid, as in Python's decoder).
std::size_t valid_sequence_at(std::string_view text, std::size_t offset) {
  const auto lead = static_cast<unsigned char>(text[offset]);
  const std::size_t length = sequence_length(lead);
  if (lead >= 0x80 && length == 1) return 0;
  if (offset + length > text.size()) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if (!is_continuation(static_cast<unsigned char>(text[offset + i]))) return 0;
  }
  if (length == 1) return 1;
  std::size_t position = offset;
  const std::uint32_t code = next_code_point(text, position);
  const std::uint32_t minimum = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
  if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

}  // namespace

std::size_t find_invalid_utf8(std::string_view text) {
  std::size_t offset = 0;
  while (offset < text.size()) {
    const std::size_t length = valid_sequence_at(text, offset);
    if (length == 0) return offset;
    offset += length;
  }
  return std::string_view::npos;
}

std::size_t count_code_points(std::string_view text) {
  std::size_t count = 0;
  for (const char byte : text) {
    if (!is_continuation(static_cast<unsigned char>(byte))) ++count;
  }
  return count;
}

std::size_t common_prefix_bytes(std::string_view a, std::string_view b) {
  std::size_t length = 0;
  while (length < a.size() && length < b.size() && a[length] == b[length]) ++length;
  // A difference inside a multi-byte character: the shared bytes of that
  // character are not a shared character.
  if (length < a.size() || length < b.size()) {
    while (length > 0 &&
           ((length < a.size() && is_continuation(static_cast<unsigned char>(a[length]))) ||
            (length < b.size() && is_continuation(static_cast<unsigned char>(b[length]))))) {
      --length;
    }
  }
  return length;
}

std::uint32_t next_code_point(std::string_view text, std::size_t& offset) {
  const auto lead = static_cast<unsigned char>(text[offset]);
  const std::size_t length = sequence_length(lead);
  std::uint32_t code = length == 1   ? lead
                       : length == 2 ? (lead & 0x1F)
                       : length == 3 ? (lead & 0x0F)
                                     : (lead & 0x07);
  for (std::size_t i = 1; i < length && offset + i < text.size(); ++i) {
    code = (code << 6) | (static_cast<unsigned char>(text[offset + i]) & 0x3F);
  }
  offset += length;
  return code;
}

}  // namespace wizard::data_detail
