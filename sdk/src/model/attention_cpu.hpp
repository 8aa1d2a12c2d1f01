// The attention core with the fused CPU kernels (LibTorch 1.13 has no fused attention):
// per block group, RoPE is applied while gathering queries and keys into the batched layout,
// scores come from one batched product, the masked softmax runs in place from each block's
// prefix/query/key counts (no mask tensor), and the outputs are scattered back to their
// positions. Backward recomputes nothing: it keeps the gathered queries, keys, values and
// the probabilities (all in the compute dtype), and scatters gradients back through RoPE's
// transpose, summing keys shared by several blocks (prompts seen by both answers).
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <optional>

#include "attention_plan.hpp"
#include "rope.hpp"

namespace wizard::model {

struct AttentionHeads {
  int64_t query_heads;
  int64_t kv_heads;
  int64_t head_dim;
};

// Whether fused_attention serves these tensors (the CPU, one float dtype, kernels on).
bool fused_attention_applies(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                             const RotaryTables& rope, const AttentionPlan& plan);

// q [N, Hq*D], k and v [N, Hkv*D] (N = rows * length; projections before RoPE) ->
// [N, Hq*D], zeros where no query is.
at::Tensor fused_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const RotaryTables& rope, std::shared_ptr<const AttentionPlan> plan,
                           std::optional<int64_t> window, const AttentionHeads& heads);

}  // namespace wizard::model
