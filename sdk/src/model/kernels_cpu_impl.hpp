// The kernels of kernels_cpu.hpp, written once over at::vec::Vectorized<float> and included
// by one translation unit per instruction set, each defining WIZARD_KERNEL_VARIANT (the
// namespace) and compiled with its own flags and CPU_CAPABILITY (at::vec's choice of
// registers). Nothing here calls into ATen at run time: the variants contain only arithmetic
// on the pointers they are given.
#pragma once

#ifndef WIZARD_KERNEL_VARIANT
#error "define WIZARD_KERNEL_VARIANT before including kernels_cpu_impl.hpp"
#endif

// GCC 12 reports its own AVX-512 intrinsics as reading uninitialised values when inlined
// through at::vec's bfloat16 conversions (a false positive); keep the build warning-free.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <ATen/cpu/vec/functional.h>
#include <ATen/cpu/vec/vec.h>
#include <c10/util/BFloat16.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels_cpu.hpp"

namespace wizard::model::cpu::WIZARD_KERNEL_VARIANT {

using BF16 = c10::BFloat16;
using fVec = at::vec::Vectorized<float>;
constexpr int64_t kW = fVec::size();
constexpr int64_t kStep = 2 * kW;  // elements per step: one Vectorized<BFloat16>, two of float

// Two float vectors: kStep consecutive elements in registers.
struct V2 {
  fVec a, b;
};
inline V2 splat(float f) {
  return {fVec(f), fVec(f)};
}
inline V2 operator+(V2 x, V2 y) {
  return {x.a + y.a, x.b + y.b};
}
inline V2 operator-(V2 x, V2 y) {
  return {x.a - y.a, x.b - y.b};
}
inline V2 operator*(V2 x, V2 y) {
  return {x.a * y.a, x.b * y.b};
}
inline V2 operator/(V2 x, V2 y) {
  return {x.a / y.a, x.b / y.b};
}
inline V2 neg(V2 x) {
  return {x.a.neg(), x.b.neg()};
}
inline V2 exp(V2 x) {
  return {x.a.exp(), x.b.exp()};
}

// Full loads and stores of kStep elements.
inline V2 load_full(const float* p) {
  return {fVec::loadu(p), fVec::loadu(p + kW)};
}
inline V2 load_full(const BF16* p) {
  V2 v;
  std::tie(v.a, v.b) = at::vec::convert_bfloat16_float(at::vec::Vectorized<BF16>::loadu(p));
  return v;
}
inline void store_full(float* p, V2 v) {
  v.a.store(p);
  v.b.store(p + kW);
}
inline void store_full(BF16* p, V2 v) {
  at::vec::convert_float_bfloat16(v.a, v.b).store(p);
}

// `remaining` elements from p (kStep or more: a full step); missing lanes read as zero.
template <class T>
inline V2 load(const T* p, int64_t remaining) {
  if (remaining >= kStep) return load_full(p);
  __at_align__ T tmp[kStep];
  std::memset(static_cast<void*>(tmp), 0, sizeof(tmp));
  std::memcpy(static_cast<void*>(tmp), p, static_cast<std::size_t>(remaining) * sizeof(T));
  return load_full(tmp);
}
template <class T>
inline void store(T* p, int64_t remaining, V2 v) {
  if (remaining >= kStep) return store_full(p, v);
  __at_align__ T tmp[kStep];
  store_full(tmp, v);
  std::memcpy(static_cast<void*>(p), tmp, static_cast<std::size_t>(remaining) * sizeof(T));
}

// The value an intermediate takes when ATen stores it in T (round to nearest even).
template <class T>
inline V2 round_to(V2 v) {
  if constexpr (std::is_same_v<T, BF16>) {
    V2 r;
    std::tie(r.a, r.b) = at::vec::convert_bfloat16_float(at::vec::convert_float_bfloat16(v.a, v.b));
    return r;
  } else {
    return v;
  }
}
template <class T>
inline float round_to(float x) {
  return static_cast<float>(static_cast<T>(x));
}

inline float sum_lanes(fVec v, int64_t lanes = kW) {
  __at_align__ float tmp[kW];
  v.store(tmp);
  float s = 0.f;
  for (int64_t k = 0; k < lanes; ++k) s += tmp[k];
  return s;
}
inline float sum_lanes(V2 v) {
  return sum_lanes(v.a + v.b);
}

template <class T>
inline void zero(T* p, int64_t n) {
  if (n > 0) std::memset(static_cast<void*>(p), 0, static_cast<std::size_t>(n) * sizeof(T));
}

// ---------------------------------------------------------------------------------------
// RMSNorm

template <class T>
void rms_norm(const RmsNormArgs& a, int64_t begin, int64_t end) {
  const int64_t n = a.width;
  const T* w = static_cast<const T*>(a.weight);
  for (int64_t r = begin; r < end; ++r) {
    const T* x = static_cast<const T*>(a.x) + r * a.x_stride;
    T* y = static_cast<T*>(a.y) + r * a.y_stride;
    V2 squares = splat(0.f);
    for (int64_t j = 0; j < n; j += kStep) {
      const V2 v = load(x + j, n - j);
      squares = squares + v * v;
    }
    const float variance = sum_lanes(squares) / static_cast<float>(n);
    const float rstd = 1.f / std::sqrt(variance + a.eps);
    a.rstd[r] = rstd;
    const V2 scale = splat(rstd);
    for (int64_t j = 0; j < n; j += kStep) {
      const V2 normed = round_to<T>(load(x + j, n - j) * scale);
      store(y + j, n - j, load(w + j, n - j) * normed);
    }
  }
}

template <class T>
void rms_norm_backward(const RmsNormBackwardArgs& a, float* grad_weight, int64_t begin,
                       int64_t end) {
  const int64_t n = a.width;
  const T* w = static_cast<const T*>(a.weight);
  for (int64_t r = begin; r < end; ++r) {
    const T* g = static_cast<const T*>(a.grad) + r * a.grad_stride;
    const T* x = static_cast<const T*>(a.x) + r * a.x_stride;
    T* gx = static_cast<T*>(a.grad_x) + r * a.grad_x_stride;
    const float rstd = a.rstd[r];
    const V2 scale = splat(rstd);
    V2 dot = splat(0.f);
    for (int64_t j = 0; j < n; j += kStep) {
      const V2 gv = load(g + j, n - j);
      const V2 xv = load(x + j, n - j);
      const V2 grad_normed = round_to<T>(gv * load(w + j, n - j));
      dot = dot + grad_normed * xv;
      const V2 normed = round_to<T>(xv * scale);
      store(grad_weight + j, n - j, load(grad_weight + j, n - j) + gv * normed);
    }
    // d/dx of x * rstd(x): rstd * g - x * rstd^3 * sum(g * x) / n.
    const V2 coefficient = splat(rstd * rstd * rstd * sum_lanes(dot) / static_cast<float>(n));
    for (int64_t j = 0; j < n; j += kStep) {
      const V2 grad_normed = round_to<T>(load(g + j, n - j) * load(w + j, n - j));
      store(gx + j, n - j, grad_normed * scale - load(x + j, n - j) * coefficient);
    }
  }
}

// ---------------------------------------------------------------------------------------
// SwiGLU

template <class T>
void swiglu(const SwigluArgs& a, int64_t begin, int64_t end) {
  const int64_t n = a.width;
  const V2 one = splat(1.f);
  for (int64_t r = begin; r < end; ++r) {
    const T* gate = static_cast<const T*>(a.gate) + r * a.gate_stride;
    const T* up = static_cast<const T*>(a.up) + r * a.up_stride;
    T* out = static_cast<T*>(a.out) + r * a.out_stride;
    for (int64_t j = 0; j < n; j += kStep) {
      const V2 x = load(gate + j, n - j);
      const V2 silu = round_to<T>(x / (one + exp(neg(x))));
      store(out + j, n - j, silu * load(up + j, n - j));
    }
  }
}

template <class T>
void swiglu_backward(const SwigluBackwardArgs& a, int64_t begin, int64_t end) {
  const int64_t n = a.width;
  const V2 one = splat(1.f);
  for (int64_t r = begin; r < end; ++r) {
    const T* grad = static_cast<const T*>(a.grad) + r * a.grad_stride;
    const T* gate = static_cast<const T*>(a.gate) + r * a.gate_stride;
    const T* up = static_cast<const T*>(a.up) + r * a.up_stride;
    T* grad_gate = static_cast<T*>(a.grad_gate) + r * a.grad_gate_stride;
    T* grad_up = static_cast<T*>(a.grad_up) + r * a.grad_up_stride;
    for (int64_t j = 0; j < n; j += kStep) {
      const V2 g = load(grad + j, n - j);
      const V2 x = load(gate + j, n - j);
      const V2 denominator = one + exp(neg(x));
      const V2 sigmoid = one / denominator;
      const V2 silu = round_to<T>(x / denominator);
      store(grad_up + j, n - j, g * silu);
      const V2 grad_silu = round_to<T>(g * load(up + j, n - j));
      store(grad_gate + j, n - j, grad_silu * sigmoid * (one + x * (one - sigmoid)));
    }
  }
}

// ---------------------------------------------------------------------------------------
// Attention: gather (with RoPE), masked softmax, scatter (with RoPE's transpose)

template <class T>
void gather(const GatherArgs& a, int64_t begin, int64_t end) {
  const int64_t d = a.head_dim;
  const int64_t half = d / 2;
  const T* src = static_cast<const T*>(a.src);
  const T* cos = static_cast<const T*>(a.cos);
  const T* sin = static_cast<const T*>(a.sin);
  T* dst = static_cast<T*>(a.dst);
  for (int64_t s = begin; s < end; ++s) {
    const int64_t block = s / a.slots;
    const int64_t slot = s % a.slots;
    const int64_t position = a.index[s];
    for (int64_t h = 0; h < a.heads; ++h) {
      T* out = dst + ((block * a.heads + h) * a.slots + slot) * d;
      if (position < 0) {
        zero(out, d);
        continue;
      }
      const T* x = src + position * a.src_stride + h * d;
      if (cos == nullptr) {
        std::memcpy(static_cast<void*>(out), x, static_cast<std::size_t>(d) * sizeof(T));
        continue;
      }
      const T* c = cos + position * d;
      const T* sn = sin + position * d;
      // x * cos + rotate_half(x) * sin, each product rounded as ATen stores it.
      for (int64_t j = 0; j < half; j += kStep) {
        const int64_t m = half - j;
        const V2 x1 = load(x + j, m), x2 = load(x + half + j, m);
        store(out + j, m,
              round_to<T>(x1 * load(c + j, m)) + round_to<T>(neg(x2) * load(sn + j, m)));
        store(out + half + j, m,
              round_to<T>(x2 * load(c + half + j, m)) + round_to<T>(x1 * load(sn + half + j, m)));
      }
    }
  }
}

template <class T>
void scatter(const ScatterArgs& a, int64_t begin, int64_t end) {
  const int64_t d = a.head_dim;
  const int64_t half = d / 2;
  const T* src = static_cast<const T*>(a.src);
  const T* cos = static_cast<const T*>(a.cos);
  const T* sin = static_cast<const T*>(a.sin);
  auto slot_row = [&](int64_t flat, int64_t h) {
    const int64_t block = flat / a.slots;
    return src + ((block * a.heads + h) * a.slots + flat % a.slots) * d;
  };
  for (int64_t e = begin; e < end; ++e) {
    const int64_t p = a.positions[e];
    const int64_t first = a.offsets[e], last = a.offsets[e + 1];
    for (int64_t h = 0; h < a.heads; ++h) {
      T* out = static_cast<T*>(a.dst) + p * a.dst_stride + h * d;
      if (cos == nullptr) {
        for (int64_t j = 0; j < d; j += kStep) {
          V2 sum = load(out + j, d - j);
          for (int64_t k = first; k < last; ++k)
            sum = sum + load(slot_row(a.sources[k], h) + j, d - j);
          store(out + j, d - j, sum);
        }
        continue;
      }
      const T* c = cos + p * d;
      const T* sn = sin + p * d;
      // The transpose of the rotation: (g1 * cos1 + g2 * sin2, g2 * cos2 - g1 * sin1).
      for (int64_t j = 0; j < half; j += kStep) {
        const int64_t m = half - j;
        const V2 c1 = load(c + j, m), c2 = load(c + half + j, m);
        const V2 s1 = load(sn + j, m), s2 = load(sn + half + j, m);
        V2 sum1 = load(out + j, m), sum2 = load(out + half + j, m);
        for (int64_t k = first; k < last; ++k) {
          const T* g = slot_row(a.sources[k], h);
          const V2 g1 = load(g + j, m), g2 = load(g + half + j, m);
          sum1 = sum1 + round_to<T>(round_to<T>(g1 * c1) + round_to<T>(g2 * s2));
          sum2 = sum2 + round_to<T>(round_to<T>(g2 * c2) - round_to<T>(g1 * s1));
        }
        store(out + j, m, sum1);
        store(out + half + j, m, sum2);
      }
    }
  }
}

// The keys query `slot` of `block` sees: [lo, hi] (further restricted by key_valid).
struct KeySpan {
  int64_t lo, hi;
};
inline KeySpan key_span(const SoftmaxArgs& a, int64_t block, int64_t slot) {
  const int64_t hi = std::min(a.prefix[block] + slot, a.keys[block] - 1);
  const int64_t lo = a.window > 0 ? std::max<int64_t>(0, hi - a.window + 1) : 0;
  return {lo, hi};
}

template <class T>
void softmax(const SoftmaxArgs& a, int64_t begin, int64_t end) {
  std::vector<float> values(static_cast<std::size_t>(a.key_slots) + kStep);
  float* x = values.data();
  const float lowest = -std::numeric_limits<float>::infinity();
  for (int64_t r = begin; r < end; ++r) {
    const int64_t block = r / (a.heads * a.query_slots);
    const int64_t slot = r % a.query_slots;
    T* row = static_cast<T*>(a.scores) + r * a.key_slots;
    if (slot >= a.queries[block]) {
      zero(row, a.key_slots);
      continue;
    }
    const KeySpan span = key_span(a, block, slot);
    const int64_t n = span.hi - span.lo + 1;
    const T* s = row + span.lo;
    const V2 scale = splat(a.scale);
    for (int64_t j = 0; j < n; j += kStep)
      store(x + j, n - j, round_to<T>(load(s + j, n - j) * scale));
    if (a.key_valid != nullptr) {
      const uint8_t* valid = a.key_valid + block * a.key_slots + span.lo;
      for (int64_t j = 0; j < n; ++j)
        if (!valid[j]) x[j] = lowest;
    }
    float max = lowest;
    for (int64_t j = 0; j < n; ++j) max = std::max(max, x[j]);
    if (max == lowest) {  // nothing visible: transformers' finite mask gives uniform weights
      const float uniform = round_to<T>(1.f / static_cast<float>(a.keys[block]));
      for (int64_t j = 0; j < a.keys[block]; ++j) row[j] = static_cast<T>(uniform);
      zero(row + a.keys[block], a.key_slots - a.keys[block]);
      continue;
    }
    const fVec shift(max);
    fVec total(0.f);
    int64_t j = 0;
    for (; j + kW <= n; j += kW) {
      const fVec e = (fVec::loadu(x + j) - shift).exp();
      e.store(x + j);
      total = total + e;
    }
    float sum = sum_lanes(total);
    if (j < n) {
      const fVec e = (fVec::loadu(x + j, static_cast<int>(n - j)) - shift).exp();
      e.store(x + j, static_cast<int>(n - j));
      sum += sum_lanes(e, n - j);
    }
    const V2 inverse = splat(1.f / sum);
    zero(row, span.lo);
    for (int64_t k = 0; k < n; k += kStep) {
      store(row + span.lo + k, n - k, load(x + k, n - k) * inverse);
    }
    zero(row + span.hi + 1, a.key_slots - span.hi - 1);
  }
}

template <class T>
void softmax_backward(const SoftmaxBackwardArgs& b, int64_t begin, int64_t end) {
  const SoftmaxArgs& a = b.layout;
  const V2 scale = splat(a.scale);
  for (int64_t r = begin; r < end; ++r) {
    const int64_t block = r / (a.heads * a.query_slots);
    const int64_t slot = r % a.query_slots;
    T* g = static_cast<T*>(b.grad) + r * a.key_slots;
    const T* p = static_cast<const T*>(b.probs) + r * a.key_slots;
    if (slot >= a.queries[block]) {
      zero(g, a.key_slots);
      continue;
    }
    // Where probabilities may be nonzero (all keys when some may be masked out individually).
    KeySpan span = key_span(a, block, slot);
    if (a.key_valid != nullptr) span = {0, a.keys[block] - 1};
    const int64_t n = span.hi - span.lo + 1;
    T* gs = g + span.lo;
    const T* ps = p + span.lo;
    V2 dot = splat(0.f);
    for (int64_t j = 0; j < n; j += kStep) dot = dot + load(ps + j, n - j) * load(gs + j, n - j);
    const V2 total = splat(sum_lanes(dot));
    for (int64_t j = 0; j < n; j += kStep) {
      const V2 grad_scores = round_to<T>(load(ps + j, n - j) * (load(gs + j, n - j) - total));
      store(gs + j, n - j, grad_scores * scale);
    }
    zero(g, span.lo);
    zero(g + span.hi + 1, a.key_slots - span.hi - 1);
  }
}

// ---------------------------------------------------------------------------------------
// LM head: log-softmax statistics and gradient over transposed logit chunks

template <class T>
void logit_stats(const LogitStatsArgs& a, int64_t begin, int64_t end) {
  const int64_t width = end - begin;
  // Zero-initialised, so sum and total start at 0 (filling them made GCC 14 warn,
  // -Wstringop-overflow, that width might be negative).
  std::vector<float> local(static_cast<std::size_t>(3 * width + 3 * kStep));
  float* max = local.data();
  float* sum = max + width + kStep;
  float* total = sum + width + kStep;
  const T* logits = static_cast<const T*>(a.logits);
  for (int64_t j = 0; j < width; ++j) max[j] = -std::numeric_limits<float>::infinity();
  for (int64_t v = 0; v < a.rows; ++v) {
    const T* row = logits + v * a.cols + begin;
    for (int64_t j = 0; j < width; j += kStep) {
      const V2 x = load(row + j, width - j), m = load(max + j, width - j);
      store(max + j, width - j, V2{at::vec::maximum(x.a, m.a), at::vec::maximum(x.b, m.b)});
    }
  }
  for (int64_t v = 0; v < a.rows; ++v) {
    const T* row = logits + v * a.cols + begin;
    for (int64_t j = 0; j < width; j += kStep) {
      const V2 x = load(row + j, width - j);
      store(sum + j, width - j, load(sum + j, width - j) + exp(x - load(max + j, width - j)));
      store(total + j, width - j, load(total + j, width - j) + x);
    }
  }
  for (int64_t j = 0; j < width; ++j) {
    const int64_t c = begin + j;
    const float merged = std::max(a.max[c], max[j]);
    a.sum[c] = a.sum[c] * std::exp(a.max[c] - merged) + sum[j] * std::exp(max[j] - merged);
    a.max[c] = merged;
    a.logit_sum[c] += static_cast<double>(total[j]);
    const int64_t row = a.labels[c] - a.first_row;
    if (row >= 0 && row < a.rows) a.picked[c] = static_cast<float>(logits[row * a.cols + c]);
  }
}

template <class T>
void logit_grad(const LogitGradArgs& a, int64_t begin, int64_t end) {
  T* logits = static_cast<T*>(a.logits);
  const int64_t cols = a.cols;
  // The label's entry is grad * (1 - p): ATen's softmax * -grad, then grad added.
  std::vector<std::pair<int64_t, T>> labelled;
  for (int64_t c = 0; c < cols; ++c) {
    const int64_t v = a.labels[c] - a.first_row;
    if (v < begin || v >= end) continue;
    const int64_t at = v * cols + c;
    const float p = std::exp(static_cast<float>(logits[at]) - a.lse[c]);
    labelled.emplace_back(at, static_cast<T>(p * -a.grad[c] + a.grad[c]));
  }
  for (int64_t v = begin; v < end; ++v) {
    T* row = logits + v * cols;
    for (int64_t j = 0; j < cols; j += kStep) {
      const V2 p = exp(load(row + j, cols - j) - load(a.lse + j, cols - j));
      store(row + j, cols - j, p * neg(load(a.grad + j, cols - j)));
    }
  }
  for (const auto& [at, value] : labelled) logits[at] = value;
}

// ---------------------------------------------------------------------------------------

inline const KernelTable* table(const char* name) {
  static const KernelTable kernels{
      name,
      {&rms_norm<float>, &rms_norm<BF16>},
      {&rms_norm_backward<float>, &rms_norm_backward<BF16>},
      {&swiglu<float>, &swiglu<BF16>},
      {&swiglu_backward<float>, &swiglu_backward<BF16>},
      {&gather<float>, &gather<BF16>},
      {&scatter<float>, &scatter<BF16>},
      {&softmax<float>, &softmax<BF16>},
      {&softmax_backward<float>, &softmax_backward<BF16>},
      {&logit_stats<float>, &logit_stats<BF16>},
      {&logit_grad<float>, &logit_grad<BF16>},
  };
  return &kernels;
}

}  // namespace wizard::model::cpu::WIZARD_KERNEL_VARIANT

#pragma GCC diagnostic pop
