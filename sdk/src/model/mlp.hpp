// The SwiGLU feed-forward block: down(silu(gate(x)) * up(x)).
#pragma once

#include <ATen/ATen.h>

#include "wizard/model/weights.hpp"

namespace wizard::model {

at::Tensor swiglu_mlp(const MlpWeights& weights, const at::Tensor& x);

}  // namespace wizard::model
