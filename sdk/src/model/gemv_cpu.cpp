#include "gemv_cpu.hpp"

#include <ATen/Parallel.h>
#include <c10/util/BFloat16.h>

#include <cstring>

#include "kernels_cpu_ops.hpp"
#include "wizard/base/error.hpp"

#if defined(__x86_64__)
// GCC 12 reports its own AVX-512 reduction intrinsics as reading uninitialised values (a
// false positive, as kernels_cpu_impl.hpp notes); keep the build warning-free.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#define WIZARD_SMALL_LINEAR 1
#else
#define WIZARD_SMALL_LINEAR 0
#endif

namespace wizard::model::cpu {

namespace {

struct SmallLinearArgs {
  const uint16_t* x;  // [tokens, k] bfloat16 bits
  int64_t tokens;
  int64_t k;
  const uint16_t* weight;  // [n, k]
  const uint16_t* bias;    // [n] or null
  uint16_t* out;           // [tokens, n]
  int64_t n;
};

#if WIZARD_SMALL_LINEAR

bool has_bf16_dot_products() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512bf16");
  return has;
}

// R weight rows against T tokens: R x T accumulators of 16 floats, each 32-element step one
// load per weight row and per token and R x T dot products of bfloat16 pairs.
template <int R, int T>
__attribute__((target("avx512f,avx512bw,avx512bf16"))) void tile(const SmallLinearArgs& a,
                                                                 int64_t row, int64_t token) {
  __m512 acc[R][T];
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
  for (int64_t k = 0; k < a.k; k += 32) {
    const int64_t left = a.k - k;
    const __mmask32 mask = left >= 32 ? ~__mmask32{0} : (__mmask32{1} << left) - 1;
    __m512i w[R], x[T];
    // The next tile's rows, a tile ahead of their use: the hardware prefetchers alone leave
    // about half of the memory bandwidth unused on these row-interleaved streams.
    for (int r = 0; r < R && row + R + r < a.n; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(a.weight + (row + R + r) * a.k + k), _MM_HINT_T0);
    }
    for (int r = 0; r < R; ++r)
      w[r] = _mm512_maskz_loadu_epi16(mask, a.weight + (row + r) * a.k + k);
    for (int t = 0; t < T; ++t) x[t] = _mm512_maskz_loadu_epi16(mask, a.x + (token + t) * a.k + k);
    for (int r = 0; r < R; ++r)
      for (int t = 0; t < T; ++t)
        acc[r][t] = _mm512_dpbf16_ps(acc[r][t], (__m512bh)x[t], (__m512bh)w[r]);
  }
  for (int r = 0; r < R; ++r) {
    float bias = 0;
    if (a.bias) {
      const uint32_t bits = static_cast<uint32_t>(a.bias[row + r]) << 16;
      std::memcpy(&bias, &bits, sizeof bias);
    }
    for (int t = 0; t < T; ++t) {
      a.out[(token + t) * a.n + row + r] = c10::BFloat16(_mm512_reduce_add_ps(acc[r][t]) + bias).x;
    }
  }
}

// Tokens in tiles of up to 4 for R weight rows.
template <int R>
void tokens(const SmallLinearArgs& a, int64_t row) {
  int64_t t = 0;
  for (; t + 4 <= a.tokens; t += 4) tile<R, 4>(a, row, t);
  switch (a.tokens - t) {
    case 3:
      tile<R, 3>(a, row, t);
      break;
    case 2:
      tile<R, 2>(a, row, t);
      break;
    case 1:
      tile<R, 1>(a, row, t);
      break;
    default:
      break;
  }
}

// Weight rows [begin, end): four at a time (one token: eight), the rest one by one.
void rows(const SmallLinearArgs& a, int64_t begin, int64_t end) {
  int64_t row = begin;
  if (a.tokens == 1) {
    for (; row + 8 <= end; row += 8) tile<8, 1>(a, row, 0);
  }
  for (; row + 4 <= end; row += 4) tokens<4>(a, row);
  for (; row < end; ++row) tokens<1>(a, row);
}

#else

bool has_bf16_dot_products() {
  return false;
}
void rows(const SmallLinearArgs&, int64_t, int64_t) {
  throw Error("small_linear: built without x86-64 kernels");
}

#endif

}  // namespace

bool small_linear_applies(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  if (!has_bf16_dot_products() || !fused({x, weight}) || x.scalar_type() != at::kBFloat16) {
    return false;
  }
  if (weight.dim() != 2 || !weight.is_contiguous() || x.dim() < 1 || x.size(-1) != weight.size(1)) {
    return false;
  }
  if (bias.defined() && (bias.scalar_type() != at::kBFloat16 || !bias.device().is_cpu() ||
                         bias.dim() != 1 || bias.size(0) != weight.size(0))) {
    return false;
  }
  const int64_t k = weight.size(1);
  return k > 0 && x.numel() / k <= kSmallLinearRows && x.numel() > 0;
}

at::Tensor small_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  const int64_t k = weight.size(1), n = weight.size(0);
  const at::Tensor x2 = x.reshape({-1, k}).contiguous();
  const at::Tensor b = bias.defined() ? bias.contiguous() : bias;
  at::Tensor out = at::empty({x2.size(0), n}, x.options());
  SmallLinearArgs args{
      reinterpret_cast<const uint16_t*>(x2.data_ptr<at::BFloat16>()),
      x2.size(0),
      k,
      reinterpret_cast<const uint16_t*>(weight.data_ptr<at::BFloat16>()),
      b.defined() ? reinterpret_cast<const uint16_t*>(b.data_ptr<at::BFloat16>()) : nullptr,
      reinterpret_cast<uint16_t*>(out.data_ptr<at::BFloat16>()),
      n};
  // Whole tiles of eight rows per task, and at least ~256 KiB of weights per task.
  const int64_t tiles = (n + 7) / 8;
  const int64_t grain = std::max<int64_t>(1, (256 << 10) / (8 * k * 2));
  at::parallel_for(0, tiles, grain, [&](int64_t begin, int64_t end) {
    rows(args, begin * 8, std::min(n, end * 8));
  });
  auto sizes = x.sizes().vec();
  sizes.back() = n;
  return out.view(sizes);
}

at::Tensor decode_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  return small_linear_applies(x, weight, bias) ? small_linear(x, weight, bias)
                                               : at::linear(x, weight, bias);
}

}  // namespace wizard::model::cpu
