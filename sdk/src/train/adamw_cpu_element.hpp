// Per-element pieces the fused CPU optimizer passes share (adamw_cpu.cpp, adamw8bit_cpu.cpp):
// reading the gradient, and reading and writing a parameter's float32 master wherever it
// lives. Inline, so that each pass's loops vectorise around them.
#pragma once

#include <ATen/ATen.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "train/adamw_cpu.hpp"
#include "wizard/base/error.hpp"

namespace wizard::train::detail {

// On x86-64 the loops are also compiled for AVX2 and AVX-512 and picked at load time. The
// ISO C++ mode keeps floating-point contraction off, so every version rounds identically.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define WIZARD_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define WIZARD_VECTOR_CLONES
#endif

template <class T>
inline float to_float(T x) {
  return static_cast<float>(x);
}

template <class T>
T* data(const at::Tensor& tensor) {
  return tensor.defined() ? static_cast<T*>(tensor.data_ptr()) : nullptr;
}

// The gradient of element i: accumulator + grad, as present.
template <class G, bool kAcc, bool kGrad>
inline float gradient_at(const float* __restrict accumulator, const G* __restrict grad, int64_t i) {
  if constexpr (kAcc && kGrad) {
    return accumulator[i] + to_float(grad[i]);
  } else if constexpr (kAcc) {
    return accumulator[i];
  } else {
    return to_float(grad[i]);
  }
}

// Where a low-precision parameter's float32 master lives.
enum class Master { own, whole, split };  // own: a float32 parameter

inline float float_of_bits(std::uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

inline std::uint32_t bits_of_float(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

// The high half of a split master: the master rounded to the nearest bfloat16, ties away
// from zero (so that the low half, the difference, always fits 16 bits; see adamw.hpp).
inline std::uint16_t split_high(float value) {
  const auto rounded = static_cast<std::uint16_t>((bits_of_float(value) + 0x8000u) >> 16);
  return value != value ? std::uint16_t{0x7FC0} : rounded;  // NaN stays NaN (a select)
}

// The float32 master of element i.
template <class P, Master kMaster>
inline float load_master(const P* __restrict parameter, const float* __restrict master,
                         const std::int16_t* __restrict master_low, int64_t i) {
  if constexpr (kMaster == Master::own) {
    return parameter[i];
  } else if constexpr (kMaster == Master::whole) {
    return master[i];
  } else {
    return float_of_bits((static_cast<std::uint32_t>(parameter[i].x) << 16) +
                         static_cast<std::uint32_t>(static_cast<std::int32_t>(master_low[i])));
  }
}

// Writes the updated master of element i and the model's (rounded) parameter.
template <class P, Master kMaster>
inline void store_master(P* __restrict parameter, float* __restrict master,
                         std::int16_t* __restrict master_low, int64_t i, float p) {
  if constexpr (kMaster == Master::own) {
    parameter[i] = p;
  } else if constexpr (kMaster == Master::whole) {
    master[i] = p;
    parameter[i] = P(p);  // round to nearest even
  } else {
    const std::uint16_t high = split_high(p);
    parameter[i].x = high;
    master_low[i] = static_cast<std::int16_t>(
        static_cast<std::int32_t>(bits_of_float(p) - (static_cast<std::uint32_t>(high) << 16)));
  }
}

// One element's update of master p with gradient g, moments m and v updated in place. The
// arithmetic order follows torch's ops: mul_(decay); mul_(beta1).add_(g, alpha);
// mul_(beta2).addcmul_(g, g, value); (sqrt(v) / bc2_sqrt).add_(eps); addcdiv_(m, denom, value).
inline float adamw_element(float p, float g, float& m, float& v, const AdamWScalars& s) {
  p = p * s.decay_factor;
  m = m * s.beta1 + s.one_minus_beta1 * g;
  v = v * s.beta2 + s.one_minus_beta2 * g * g;
  const float denom = std::sqrt(v) / s.bias_correction2_sqrt + s.eps;
  return p + s.neg_step_size * (m / denom);
}

// One instantiation of a fused pass: the parameter's element type, where its master lives, and
// which of the float32 accumulator and the gradient are present.
template <class P, Master kMaster, bool kAcc, bool kGrad>
struct StepKind {
  using Parameter = P;
  static constexpr Master master = kMaster;
  static constexpr bool accumulator = kAcc;
  static constexpr bool grad = kGrad;
};

// The raw pointers of one parameter's tensors (null where a tensor is undefined).
template <class P>
struct StepTensors {
  P* parameter;
  float* master;
  std::int16_t* master_low;
  const float* accumulator;
  const P* grad;
};

template <class P, Master kMaster, class Body>
void dispatch_gradients(const at::Tensor& parameter, const at::Tensor& master,
                        const at::Tensor& master_low, const at::Tensor& accumulator,
                        const at::Tensor& grad, Body&& body) {
  const StepTensors<P> t{data<P>(parameter), data<float>(master), data<std::int16_t>(master_low),
                         data<float>(accumulator), data<P>(grad)};
  if (accumulator.defined() && grad.defined()) {
    body(StepKind<P, kMaster, true, true>{}, t);
  } else if (accumulator.defined()) {
    body(StepKind<P, kMaster, true, false>{}, t);
  } else {
    body(StepKind<P, kMaster, false, true>{}, t);
  }
}

// Calls body(StepKind<...>{}, StepTensors<P>) for `parameter` (float, bfloat16 with a whole or
// split master, or half); `pass` names the caller in errors.
template <class Body>
void dispatch_step(const char* pass, const at::Tensor& parameter, const at::Tensor& master,
                   const at::Tensor& master_low, const at::Tensor& accumulator,
                   const at::Tensor& grad, Body&& body) {
  if (grad.defined() && grad.scalar_type() != parameter.scalar_type()) {
    throw Error(std::string(pass) + ": the gradient's dtype differs from its parameter's");
  }
  const auto dtype = parameter.scalar_type();
  if (master_low.defined() && dtype != at::kBFloat16) {
    throw Error(std::string(pass) + ": a split master needs a bfloat16 parameter");
  }
  switch (dtype) {
    case at::kFloat:
      dispatch_gradients<float, Master::own>(parameter, master, master_low, accumulator, grad,
                                             body);
      break;
    case at::kBFloat16:
      if (master_low.defined()) {
        dispatch_gradients<c10::BFloat16, Master::split>(parameter, master, master_low, accumulator,
                                                         grad, body);
      } else {
        dispatch_gradients<c10::BFloat16, Master::whole>(parameter, master, master_low, accumulator,
                                                         grad, body);
      }
      break;
    case at::kHalf:
      dispatch_gradients<c10::Half, Master::whole>(parameter, master, master_low, accumulator, grad,
                                                   body);
      break;
    default:
      throw Error(std::string(pass) + ": unsupported parameter dtype " + c10::toString(dtype));
  }
}

}  // namespace wizard::train::detail
