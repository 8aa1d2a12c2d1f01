// RMSNorm as transformers' LlamaRMSNorm computes it: statistics in float32 whatever the
// input dtype, the normalised value cast back to the input dtype, then scaled by the weight.
#pragma once

#include <ATen/ATen.h>

namespace wizard::model {

// x [..., N], weight [N]: weight * (x / sqrt(mean(x^2) + eps)). The fused CPU kernel where
// it applies (float32 or bfloat16 x and weight of one dtype, on the CPU), else ATen.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

}  // namespace wizard::model
