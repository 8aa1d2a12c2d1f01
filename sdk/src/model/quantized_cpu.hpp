// The CPU kernel of 4-bit dequantisation (at::vec, parallel over blocks).
#pragma once

#include <ATen/ATen.h>

namespace wizard::model::cpu {

// packed uint8 [blocks * 32] (two codes a byte, high nibble first), absmax float32 [blocks],
// code values float32 [16] -> [blocks * 64] in `dtype` (float32 or bfloat16), on the CPU.
at::Tensor dequantize_4bit(const at::Tensor& packed, const at::Tensor& absmax,
                           const at::Tensor& code_values, at::ScalarType dtype);

}  // namespace wizard::model::cpu
