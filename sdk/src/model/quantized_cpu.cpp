#include "quantized_cpu.hpp"

#include <ATen/Parallel.h>
#include <ATen/cpu/vec/vec.h>

#include <array>

namespace wizard::model::cpu {

namespace {

constexpr int64_t kBlock = 64;

// One block: the codes' values from a table of byte -> two values, then times the block's
// absolute maximum, Vectorized<float> wide.
template <typename Out>
void dequantize_blocks(const uint8_t* packed, const float* absmax, const float (*pairs)[2],
                       Out* out, int64_t begin, int64_t end) {
  using Vec = at::vec::Vectorized<float>;
  alignas(64) float values[kBlock];
  for (int64_t b = begin; b < end; ++b) {
    const uint8_t* bytes = packed + b * (kBlock / 2);
    for (int64_t j = 0; j < kBlock / 2; ++j) {
      values[2 * j] = pairs[bytes[j]][0];
      values[2 * j + 1] = pairs[bytes[j]][1];
    }
    const Vec scale(absmax[b]);
    Out* o = out + b * kBlock;
    for (int64_t k = 0; k < kBlock; k += Vec::size()) {
      const Vec v = Vec::loadu(values + k) * scale;
      if constexpr (std::is_same_v<Out, float>) {
        v.store(o + k);
      } else {
        alignas(64) float scaled[Vec::size()];
        v.store(scaled);
        for (int64_t i = 0; i < Vec::size(); ++i) o[k + i] = static_cast<Out>(scaled[i]);
      }
    }
  }
}

}  // namespace

at::Tensor dequantize_4bit(const at::Tensor& packed, const at::Tensor& absmax,
                           const at::Tensor& code_values, at::ScalarType dtype) {
  const int64_t blocks = absmax.numel();
  const at::Tensor codes = code_values.to(at::kFloat).contiguous();
  const float* lut = codes.data_ptr<float>();
  float pairs[256][2];
  for (int byte = 0; byte < 256; ++byte) {
    pairs[byte][0] = lut[byte >> 4];
    pairs[byte][1] = lut[byte & 15];
  }
  const at::Tensor p = packed.contiguous();
  const at::Tensor a = absmax.to(at::kFloat).contiguous();
  at::Tensor out = at::empty({blocks * kBlock}, at::TensorOptions().dtype(dtype));
  const uint8_t* bytes = p.data_ptr<uint8_t>();
  const float* maxima = a.data_ptr<float>();
  at::parallel_for(0, blocks, 256, [&](int64_t begin, int64_t end) {
    if (dtype == at::kBFloat16) {
      dequantize_blocks(bytes, maxima, pairs, out.data_ptr<at::BFloat16>(), begin, end);
    } else {
      dequantize_blocks(bytes, maxima, pairs, out.data_ptr<float>(), begin, end);
    }
  });
  return out;
}

}  // namespace wizard::model::cpu
