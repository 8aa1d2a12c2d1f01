// Grouped-query self-attention of the Llama family, computed as transformers' eager
// attention: projections, optional per-head q/k RMSNorm (Qwen3), RoPE, scores scaled by
// head_dim^-1/2 after the product, additive mask, softmax in float32, weighted values,
// output projection.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <optional>

#include "attention_plan.hpp"
#include "rope.hpp"
#include "wizard/model/config.hpp"
#include "wizard/model/weights.hpp"

namespace wizard::model {

// x [R, T, hidden] -> [R, T, hidden]; `window`: this layer's sliding window, if any. On the
// CPU (float32/bfloat16) the core runs on the fused kernels (attention_cpu.hpp); elsewhere
// on ATen: at::scaled_dot_product_attention on LibTorch >= 2, matmul-softmax-matmul on 1.13.
at::Tensor self_attention(const AttentionWeights& weights, const at::Tensor& x,
                          const ModelConfig& config, const RotaryTables& rope,
                          const std::shared_ptr<const AttentionPlan>& plan,
                          std::optional<int64_t> window);

}  // namespace wizard::model
