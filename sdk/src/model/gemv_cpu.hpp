// Linear layers for a few tokens (decoding with one to four rows): bfloat16 on the CPU,
// reading each weight once at memory speed with AVX-512 BF16 dot products and software
// prefetch, where oneDNN's general product streams a weight matrix at less than half that
// speed (measured in docs/performance.md). From five rows on oneDNN's blocked product is
// faster; it also serves other dtypes, devices and CPUs.
#pragma once

#include <ATen/ATen.h>

namespace wizard::model::cpu {

// The rows of x (its elements over the last dimension) decode_linear gives this path at most.
constexpr int64_t kSmallLinearRows = 4;

// Whether decode_linear uses small_linear for x [..., K] and weight [N, K] (and bias [N]).
bool small_linear_applies(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

// x W^T + b in float32 sums, rounded once to bfloat16: [..., K] -> [..., N] (any number of
// rows; needs AVX-512 BF16 and bfloat16 CPU tensors).
at::Tensor small_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

// small_linear where it applies, else at::linear.
at::Tensor decode_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

}  // namespace wizard::model::cpu
