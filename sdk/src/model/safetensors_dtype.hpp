// The dtypes of the safetensors format and their LibTorch counterparts.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>

namespace wizard::safetensors::detail {

struct DtypeEntry {
  const char* name;       // as written in the header
  int bits;               // per element (sub-byte types exist)
  at::ScalarType scalar;  // Undefined when this LibTorch cannot hold it
  int writer_rank;        // the reference writer's dtype order (writes larger ranks first)
};

// The entry named `name`, or nullptr if the format has no such dtype.
const DtypeEntry* find_dtype(const std::string& name);

// The entry of a LibTorch dtype, or nullptr if safetensors cannot store it.
const DtypeEntry* find_dtype(at::ScalarType scalar);

}  // namespace wizard::safetensors::detail
