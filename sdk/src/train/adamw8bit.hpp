// bitsandbytes' blockwise 8-bit optimizer state (bnb.optim.AdamW8bit): each moment is stored as
// one uint8 code per element and one float32 absolute maximum per block of 256 elements; an
// element's value is code_map[code] * absmax[block]. The first moment uses bitsandbytes' signed
// dynamic map, the second (never negative) its unsigned one (functional.create_dynamic_map).
// Quantising picks the nearest code of value / absmax (ties to the lower code), as bitsandbytes'
// kernels do. Parameters with fewer than 4096 elements keep float32 state (bitsandbytes'
// min_8bit_size).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

#include "train/adamw_cpu.hpp"

namespace wizard::train::detail {

constexpr int64_t kStateBlock = 256;     // elements per absmax
constexpr int64_t kMin8BitNumel = 4096;  // smaller parameters keep float32 state
constexpr int64_t kCodes = 256;

// Blocks of kStateBlock covering `numel` elements (the last one may be partial).
int64_t state_blocks(int64_t numel);

// bitsandbytes' create_dynamic_map(signed, max_exponent_bits = 7, total_bits = 8): 256 sorted
// float32 codes in [-1, 1] (signed) or [0, 1] (unsigned), on the CPU.
const at::Tensor& dynamic_map(bool is_signed);

// The 255 decision bounds between neighbouring codes, (code[i] + code[i + 1]) / 2 in float32.
const at::Tensor& dynamic_map_bounds(bool is_signed);

// Quantises float32 `values` (any shape, any device) into `codes` (uint8, as many elements)
// and `absmax` (float32 [state_blocks(numel)]), both written in place.
void quantize_blockwise(const at::Tensor& values, bool is_signed, const at::Tensor& codes,
                        const at::Tensor& absmax);

// code_map[codes] * absmax[block] as float32, shaped as `codes`.
at::Tensor dequantize_blockwise(const at::Tensor& codes, const at::Tensor& absmax, bool is_signed);

// One AdamW update with 8-bit moments, on contiguous CPU tensors: per block of 256, the moments
// are dequantised, updated with the same arithmetic as fused_adamw_step, the parameter updated,
// and the moments re-quantised against the block's new absmax, all in one pass. Parameter,
// masters and gradient as in fused_adamw_step; exp_avg / exp_avg_sq are uint8 codes (signed and
// unsigned map), their absmax float32 [state_blocks(numel)].
void fused_adamw8bit_step(const at::Tensor& parameter, const at::Tensor& master,
                          const at::Tensor& master_low, const at::Tensor& accumulator,
                          const at::Tensor& grad, const at::Tensor& exp_avg,
                          const at::Tensor& exp_avg_absmax, const at::Tensor& exp_avg_sq,
                          const at::Tensor& exp_avg_sq_absmax, const AdamWScalars& scalars);

}  // namespace wizard::train::detail
