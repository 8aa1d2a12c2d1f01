// The SwiGLU feed-forward block: down(silu(gate(x)) * up(x)).
#pragma once

#include <ATen/ATen.h>

#include "wizard/model/weights.hpp"

namespace wizard::model {

// silu(gate) * up: the fused CPU kernel where it applies (float32/bfloat16 on the CPU),
// else ATen.
at::Tensor swiglu(const at::Tensor& gate, const at::Tensor& up);

at::Tensor swiglu_mlp(const MlpWeights& weights, const at::Tensor& x);

}  // namespace wizard::model
