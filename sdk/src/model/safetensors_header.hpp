// Parsing and validating the header of a safetensors file. The file is untrusted:
// everything the header claims is checked against the file before anyone reads data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wizard/model/safetensors.hpp"

namespace wizard::safetensors::detail {

// The reference implementation refuses headers above 100 MB; so do we.
inline constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

struct ParsedHeader {
  Metadata metadata;
  std::vector<TensorInfo> tensors;  // sorted by data offset
  std::uint64_t data_start = 0;     // file offset of the data section (8 + header length)
};

// Parses and validates the file held in `bytes[0, file_size)`; `file_label` names the
// file in error messages. Checks: header length within the file and the limit, JSON
// syntax, no duplicate names, each entry's dtype/shape/data_offsets, sizes that match
// shape x dtype, and tensors that cover the data section exactly, without gaps or
// overlaps (as the format's reference reader requires).
ParsedHeader parse_header(const std::uint8_t* bytes, std::uint64_t file_size,
                          const std::string& file_label);

}  // namespace wizard::safetensors::detail
