// UTF-8 helpers for the data readers and for Python-style string slicing
// (TRL compares and cuts strings by code point, as Python does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wizard::data_detail {

// The byte offset of the first byte that does not start a valid UTF-8 sequence
// (or of a truncated sequence), or npos when `text` is valid UTF-8.
std::size_t find_invalid_utf8(std::string_view text);

// Number of code points in valid UTF-8 text.
std::size_t count_code_points(std::string_view text);

// The longest common prefix of `a` and `b` in bytes, shortened to a code
// point boundary: what Python's character-wise comparison finds.
std::size_t common_prefix_bytes(std::string_view a, std::string_view b);

// Byte length of the UTF-8 sequence that starts with `lead` (1 for invalid leads).
inline std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

// Decodes the code point at `offset` (valid UTF-8) and advances `offset`.
std::uint32_t next_code_point(std::string_view text, std::size_t& offset);

}  // namespace wizard::data_detail
