// bitsandbytes' blockwise 8-bit optimizer state (bnb.optim.AdamW8bit): each moment is stored as
// one uint8 code per element and one float32 absolute maximum per block of 256 elements; an
// element's value is code_map[code] * absmax[block]. The first moment uses bitsandbytes' signed
// dynamic map, the second (never negative) its unsigned one (functional.create_dynamic_map).
// Quantising picks the nearest code of value / absmax (ties to the lower code), as bitsandbytes'
// kernels do. Parameters with fewer than 4096 elements keep float32 state (bitsandbytes'
// min_8bit_size).
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "model/dynamic_code_map.hpp"
#include "train/adamw_cpu.hpp"

namespace wizard::train::detail {

constexpr int64_t kStateBlock = 256;     // elements per absmax
constexpr int64_t kMin8BitNumel = 4096;  // smaller parameters keep float32 state
constexpr int64_t kCodes = 256;

// Blocks of kStateBlock covering `numel` elements (the last one may be partial).
int64_t state_blocks(int64_t numel);

// bitsandbytes' create_dynamic_map (model/dynamic_code_map.hpp: one definition, which QLoRA's
// double quantisation uses too).
using model::detail::dynamic_map;

// The 255 decision bounds between neighbouring codes, (code[i] + code[i + 1]) / 2 in float32.
const at::Tensor& dynamic_map_bounds(bool is_signed);

// Finds the nearest code fast: a table indexed by x's sign, binary exponent and top 7 mantissa
// bits holds the number of bounds below the smallest x of that bucket; two branch-free
// comparisons with the bounds above it finish the count (no bucket holds more than two bounds
// at the dynamic maps' code spacing; the constructor checks it). The result is exactly the
// binary search's (torch.bucketize's).
class CodeSearch {
 public:
  explicit CodeSearch(bool is_signed);

  std::uint8_t nearest(float x) const { return static_cast<std::uint8_t>(count_below(x)); }

  // nearest() of each of x[0..n) (each in [-1, 1]) into codes: 16 at a time with AVX-512
  // gathers where the processor has them (code_search_nearest.cpp), the same codes bit for bit.
  void nearest_n(const float* x, std::uint8_t* codes, int64_t n) const;
  // The one-at-a-time loop, for every processor (and the vector loop's reference in tests).
  void nearest_n_scalar(const float* x, std::uint8_t* codes, int64_t n) const {
    for (int64_t i = 0; i < n; ++i) codes[i] = nearest(x[i]);
  }

 private:
  static constexpr int kMantissaBits = 7;
  static constexpr int kSmallestExponent = 127 - 24;  // biased; magnitudes below 2^-24 share key 0
  static constexpr int kMagnitudeKeys = 1 + (25 << kMantissaBits);  // up to |x| = 1

  // 0 for |x| < 2^-24, else 1 + (exponent above 2^-24, top mantissa bits); |x| <= 1.
  static int magnitude_key(std::uint32_t magnitude_bits) {
    const int exponent = static_cast<int>(magnitude_bits >> 23) - kSmallestExponent;
    if (exponent < 0) return 0;
    return 1 + (exponent << kMantissaBits) +
           static_cast<int>((magnitude_bits >> (23 - kMantissaBits)) & ((1u << kMantissaBits) - 1));
  }

  // The number of bounds below x: the nearest code, ties to the lower one.
  int count_below(float x) const {
    std::uint32_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    const int magnitude = magnitude_key(bits & 0x7FFFFFFFu);
    int index = start_[(bits >> 31) ? kMagnitudeKeys - 1 - magnitude : kMagnitudeKeys + magnitude];
    index += bounds_[index] < x;
    index += bounds_[index] < x;
    return index;
  }

  std::array<float, kCodes + 1> bounds_;  // the 255 bounds, then two +infinity
  // int32, not uint8: the vector loop gathers 32-bit elements.
  std::array<std::int32_t, 2 * kMagnitudeKeys> start_;
};

const CodeSearch& code_search(bool is_signed);

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
