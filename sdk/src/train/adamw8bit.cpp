#include "train/adamw8bit.hpp"

#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <limits>

#include "wizard/base/error.hpp"

namespace wizard::train::detail {

namespace {

at::Tensor make_bounds(const at::Tensor& map) {
  return (map.slice(0, 0, kCodes - 1) + map.slice(0, 1)) / 2;
}

}  // namespace

int64_t state_blocks(int64_t numel) {
  return (numel + kStateBlock - 1) / kStateBlock;
}

const at::Tensor& dynamic_map_bounds(bool is_signed) {
  static const at::Tensor signed_bounds = make_bounds(dynamic_map(true));
  static const at::Tensor unsigned_bounds = make_bounds(dynamic_map(false));
  return is_signed ? signed_bounds : unsigned_bounds;
}

CodeSearch::CodeSearch(bool is_signed) {
  const float* bounds = dynamic_map_bounds(is_signed).data_ptr<float>();
  std::copy(bounds, bounds + kCodes - 1, bounds_.begin());
  bounds_[kCodes - 1] = bounds_[kCodes] = std::numeric_limits<float>::infinity();
  const auto float_of = [](std::uint32_t bits) {
    float value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
  };
  // The smallest magnitude a magnitude key covers, as float bits.
  const auto lowest_bits = [](int key) -> std::uint32_t {
    if (key == 0) return 0;
    const int k = key - 1;
    return (static_cast<std::uint32_t>((k >> kMantissaBits) + kSmallestExponent) << 23) |
           (static_cast<std::uint32_t>(k & ((1 << kMantissaBits) - 1)) << (23 - kMantissaBits));
  };
  const auto bounds_below = [&](float x) {
    return static_cast<int>(std::lower_bound(bounds, bounds + kCodes - 1, x) - bounds);
  };
  for (int key = 0; key < kMagnitudeKeys; ++key) {
    const float low = float_of(lowest_bits(key));
    const float high = key + 1 < kMagnitudeKeys ? float_of(lowest_bits(key + 1) - 1) : low;
    if (bounds_below(high) - bounds_below(low) > 2 ||
        bounds_below(-low) - bounds_below(-high) > 2) {
      throw Error("8-bit AdamW: a code-search bucket holds more than two bounds");
    }
    // x >= 0 starts from its bucket's lowest value, x < 0 from its most negative.
    start_[kMagnitudeKeys + key] = bounds_below(low);
    start_[kMagnitudeKeys - 1 - key] = bounds_below(-high);
  }
}

const CodeSearch& code_search(bool is_signed) {
  static const CodeSearch signed_search(true);
  static const CodeSearch unsigned_search(false);
  return is_signed ? signed_search : unsigned_search;
}

void quantize_blockwise(const at::Tensor& values, bool is_signed, const at::Tensor& codes,
                        const at::Tensor& absmax) {
  at::NoGradGuard no_grad;
  const int64_t numel = values.numel();
  const int64_t blocks = state_blocks(numel);
  // Zeros pad the last block: they change neither its absmax nor the codes kept.
  const at::Tensor padded =
      at::constant_pad_nd(values.reshape(-1).to(at::kFloat), {0, blocks * kStateBlock - numel})
          .view({blocks, kStateBlock});
  const at::Tensor block_absmax = padded.abs().amax(1);
  const at::Tensor inverse = block_absmax.clamp_min(1e-38).reciprocal().unsqueeze(1);
  const at::Tensor scaled = (padded * inverse).clamp(-1, 1).reshape(-1).slice(0, 0, numel);
  const at::Tensor bounds = dynamic_map_bounds(is_signed).to(values.device());
  codes.view(-1).copy_(at::bucketize(scaled, bounds, /*out_int32=*/true).to(at::kByte));
  absmax.copy_(block_absmax);
}

at::Tensor dequantize_blockwise(const at::Tensor& codes, const at::Tensor& absmax, bool is_signed) {
  at::NoGradGuard no_grad;
  const int64_t numel = codes.numel();
  const int64_t blocks = state_blocks(numel);
  const at::Tensor map = dynamic_map(is_signed).to(codes.device());
  const at::Tensor values = map.index_select(0, codes.reshape(-1).to(at::kLong));
  const at::Tensor padded =
      at::constant_pad_nd(values, {0, blocks * kStateBlock - numel}).view({blocks, kStateBlock});
  return (padded * absmax.unsqueeze(1)).reshape(-1).slice(0, 0, numel).view(codes.sizes());
}

}  // namespace wizard::train::detail
