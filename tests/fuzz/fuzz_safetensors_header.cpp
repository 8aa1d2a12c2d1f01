// The safetensors header: length prefix, JSON header, dtypes, shapes and data offsets, checked
// against the file before any tensor is read. The input is a whole file.
#include "fuzz_support.hpp"
#include "model/safetensors_header.hpp"
#include "wizard/base/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto header = wizard::safetensors::detail::parse_header(data, size, "fuzz.safetensors");
    std::uint64_t total = 0;
    for (const auto& tensor : header.tensors) total += tensor.nbytes();
    if (header.data_start + total > size) __builtin_trap();  // validated ranges lie in the file
  } catch (const wizard::Error&) {
  }
  return 0;
}
