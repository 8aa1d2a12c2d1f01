#include "attention_cpu.hpp"

#include <torch/csrc/autograd/custom_function.h>

#include <cmath>

#include "kernels_cpu_ops.hpp"

namespace wizard::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct AttentionState : torch::CustomClassHolder {
  std::shared_ptr<const AttentionPlan> plan;
  std::optional<int64_t> window;
  AttentionHeads heads{};
  double scale = 1.0;
};

// A group's tensors as batched products see them: [blocks * kv_heads, rows, columns].
at::Tensor batched(const at::Tensor& slots, int64_t kv_heads) {
  return slots.view({slots.size(0) * kv_heads, -1, slots.size(3)});
}

class FusedAttention : public torch::autograd::Function<FusedAttention> {
 public:
  static variable_list forward(AutogradContext* ctx, const at::Tensor& q, const at::Tensor& k,
                               const at::Tensor& v, const at::Tensor& cos, const at::Tensor& sin,
                               const c10::intrusive_ptr<AttentionState>& state) {
    const AttentionHeads& h = state->heads;
    const int64_t n = q.size(0);
    at::Tensor out = at::zeros({n, h.query_heads * h.head_dim}, q.options());
    variable_list saved;
    const auto& groups = state->plan->groups();
    for (const BlockGroup& g : groups) {
      const at::Tensor qs = cpu::gather_slots(q, cos, sin, g.query_index, g.blocks, g.query_slots,
                                              h.query_heads, h.head_dim);
      const at::Tensor ks = cpu::gather_slots(k, cos, sin, g.key_index, g.blocks, g.key_slots,
                                              h.kv_heads, h.head_dim);
      const at::Tensor vs = cpu::gather_slots(v, at::Tensor(), at::Tensor(), g.key_index, g.blocks,
                                              g.key_slots, h.kv_heads, h.head_dim);
      at::Tensor probs = at::bmm(batched(qs, h.kv_heads), batched(ks, h.kv_heads).transpose(1, 2));
      cpu::masked_softmax_(probs, g, h.query_heads, state->window, state->scale);
      const at::Tensor attended = at::bmm(probs, batched(vs, h.kv_heads));
      cpu::scatter_add_slots(attended.view(qs.sizes()), at::Tensor(), at::Tensor(), g.query_map,
                             out);
      saved.insert(saved.end(), {qs, ks, vs, probs});
    }
    saved.insert(saved.end(), {cos, sin});
    ctx->save_for_backward(saved);
    ctx->saved_data["state"] = c10::IValue::make_capsule(state);
    ctx->saved_data["q_sizes"] = q.sizes();
    ctx->saved_data["kv_sizes"] = k.sizes();
    return {out};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto state =
        c10::static_intrusive_pointer_cast<AttentionState>(ctx->saved_data["state"].toCapsule());
    const AttentionHeads& h = state->heads;
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor& cos = saved[saved.size() - 2];
    const at::Tensor& sin = saved[saved.size() - 1];
    const at::Tensor grad_out = grads[0].contiguous();
    const int64_t n = grad_out.size(0);
    const auto options = grad_out.options();
    at::Tensor grad_q = at::zeros({n, h.query_heads * h.head_dim}, options);
    at::Tensor grad_k = at::zeros({n, h.kv_heads * h.head_dim}, options);
    at::Tensor grad_v = at::zeros({n, h.kv_heads * h.head_dim}, options);
    const auto& groups = state->plan->groups();
    for (std::size_t i = 0; i < groups.size(); ++i) {
      const BlockGroup& g = groups[i];
      const at::Tensor& qs = saved[4 * i];
      const at::Tensor& ks = saved[4 * i + 1];
      const at::Tensor& vs = saved[4 * i + 2];
      const at::Tensor& probs = saved[4 * i + 3];
      const at::Tensor grad_attended =
          batched(cpu::gather_slots(grad_out, at::Tensor(), at::Tensor(), g.query_index, g.blocks,
                                    g.query_slots, h.query_heads, h.head_dim),
                  h.kv_heads);
      at::Tensor grad_scores = at::bmm(grad_attended, batched(vs, h.kv_heads).transpose(1, 2));
      cpu::masked_softmax_backward_(probs, grad_scores, g, h.query_heads, state->window,
                                    state->scale);
      const at::Tensor grad_qs = at::bmm(grad_scores, batched(ks, h.kv_heads));
      const at::Tensor grad_ks = at::bmm(grad_scores.transpose(1, 2), batched(qs, h.kv_heads));
      const at::Tensor grad_vs = at::bmm(probs.transpose(1, 2), grad_attended);
      cpu::scatter_add_slots(grad_qs.view(qs.sizes()), cos, sin, g.query_map, grad_q);
      cpu::scatter_add_slots(grad_ks.view(ks.sizes()), cos, sin, g.key_map, grad_k);
      cpu::scatter_add_slots(grad_vs.view(vs.sizes()), at::Tensor(), at::Tensor(), g.key_map,
                             grad_v);
    }
    const auto q_sizes = ctx->saved_data["q_sizes"].toIntVector();
    const auto kv_sizes = ctx->saved_data["kv_sizes"].toIntVector();
    return {grad_q.view(q_sizes), grad_k.view(kv_sizes), grad_v.view(kv_sizes),
            at::Tensor(),         at::Tensor(),          at::Tensor()};
  }
};

}  // namespace

bool fused_attention_applies(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                             const RotaryTables& rope, const AttentionPlan& plan) {
  return !plan.groups().empty() && q.size(-1) % 2 == 0 && cpu::fused({q, k, v, rope.cos, rope.sin});
}

at::Tensor fused_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const RotaryTables& rope, std::shared_ptr<const AttentionPlan> plan,
                           std::optional<int64_t> window, const AttentionHeads& heads) {
  auto state = c10::make_intrusive<AttentionState>();
  state->plan = std::move(plan);
  state->window = window;
  state->heads = heads;
  state->scale = 1.0 / std::sqrt(static_cast<double>(heads.head_dim));
  const at::Tensor cos = rope.cos.reshape({-1, heads.head_dim});
  const at::Tensor sin = rope.sin.reshape({-1, heads.head_dim});
  return FusedAttention::apply(q, k, v, cos, sin, state)[0];
}

}  // namespace wizard::model
