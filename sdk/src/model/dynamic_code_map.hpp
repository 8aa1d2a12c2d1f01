// bitsandbytes' dynamic 8-bit code map (functional.create_dynamic_map), shared by 8-bit AdamW's
// moments (sdk/src/train/adamw8bit.cpp) and QLoRA's double quantisation of the absmax
// (quantization.cpp).
#pragma once

#include <ATen/ATen.h>

namespace wizard::model::detail {

// create_dynamic_map(signed, max_exponent_bits = 7, total_bits = 8): 256 sorted float32 codes
// in [-1, 1] (signed) or [0, 1] (unsigned), on the CPU, built once.
const at::Tensor& dynamic_map(bool is_signed);

}  // namespace wizard::model::detail
