#include "attention.hpp"

#include <torch/version.h>

#include <cmath>

#include "adapted_linear.hpp"
#include "attention_cpu.hpp"
#include "rmsnorm.hpp"

namespace wizard::model {

namespace {

// The heads of one group of queries share a key/value head. Queries are laid out as
// [..., kv_heads, groups * L, D] so one batched product per kv head serves the whole group
// without repeating keys and values (transformers' repeat_kv copies them).
struct Heads {
  int64_t kv_heads;
  int64_t groups;
  int64_t head_dim;
};

// q [..., kv, groups * L, D], k and v [..., kv, Lk, D], mask [..., 1, 1, L, Lk] (additive,
// broadcast over heads) -> [..., kv, groups * L, D].
at::Tensor attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                  const at::Tensor& mask, const Heads& h) {
  const int64_t queries = q.size(-2) / h.groups;
  const int64_t keys = k.size(-2);
  auto grouped = q.sizes().vec();  // [..., kv, groups, L, Lk]
  grouped.back() = keys;
  grouped.end()[-2] = queries;
  grouped.insert(grouped.end() - 2, h.groups);
#if TORCH_VERSION_MAJOR >= 2
  // Fused attention (flash / memory-efficient kernels where the device has them). Its
  // default scale is head_dim^-1/2, as transformers uses.
  auto per_head = grouped;
  per_head.back() = h.head_dim;  // [..., kv, groups, L, D]
  auto expanded = per_head;
  expanded.end()[-2] = keys;  // [..., kv, groups, Lk, D]
  auto flat = [&](const at::Tensor& t, std::vector<int64_t> shape) {
    shape.erase(shape.end() - 4);
    shape.end()[-3] *= h.kv_heads;
    return t.reshape(shape);
  };
  const at::Tensor kx = k.unsqueeze(-3).expand(expanded);
  const at::Tensor vx = v.unsqueeze(-3).expand(expanded);
  const at::Tensor out =
      at::scaled_dot_product_attention(flat(q.view(per_head), per_head), flat(kx, expanded),
                                       flat(vx, expanded), mask.flatten(-4, -3));
  return out.view(per_head).flatten(-3, -2);
#else
  const double scaling = 1.0 / std::sqrt(static_cast<double>(h.head_dim));
  // mask + scaling * scores in one pass; rounds exactly as transformers' (scores * scaling)
  // + mask, since the mask is 0 (exact) or the dtype's lowest value (absorbs the score).
  const at::Tensor masked =
      at::add(mask, at::matmul(q, k.transpose(-1, -2)).view(grouped), scaling);
  const at::Tensor probs = at::softmax(masked, -1, at::kFloat).to(q.scalar_type());
  return at::matmul(probs.flatten(-3, -2), v);
#endif
}

// Whole rows against a [R, 1, T, T] mask. q [R, T, Hq, D], k/v [R, T, Hkv, D] -> [R, T, Hq*D].
at::Tensor attend_padded(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                         const at::Tensor& mask, const Heads& h) {
  const int64_t R = q.size(0), T = q.size(1);
  const at::Tensor qg = q.view({R, T, h.kv_heads, h.groups, h.head_dim})
                            .permute({0, 2, 3, 1, 4})
                            .reshape({R, h.kv_heads, h.groups * T, h.head_dim});
  const at::Tensor out = attend(qg, k.transpose(1, 2), v.transpose(1, 2), mask.unsqueeze(1), h);
  return out.view({R, h.kv_heads, h.groups, T, h.head_dim})
      .permute({0, 3, 1, 2, 4})
      .reshape({R, T, -1});
}

// Segmented layouts: each block group's queries against its keys, batched, with the group's
// mask; the outputs land at their positions, zeros elsewhere. q [R, T, Hq, D], k/v [R, T, Hkv,
// D] -> [R, T, Hq*D].
at::Tensor attend_groups(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                         const AttentionPlan& plan, std::optional<int64_t> window, const Heads& h) {
  const int64_t R = q.size(0), T = q.size(1);
  const at::Tensor qf = q.reshape({R * T, -1, h.head_dim});
  const at::Tensor kf = k.reshape({R * T, -1, h.head_dim});
  const at::Tensor vf = v.reshape({R * T, -1, h.head_dim});
  at::Tensor out = at::zeros({R * T, q.size(2) * h.head_dim}, q.options());
  const auto& groups = plan.groups();
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const BlockGroup& g = groups[i];
    const AttentionPlan::GroupTensors& t = plan.group_tensors(i);
    const int64_t n = g.blocks, L = g.query_slots, K = g.key_slots;
    const at::Tensor qg = qf.index_select(0, t.query_index)
                              .view({n, L, h.kv_heads, h.groups, h.head_dim})
                              .permute({0, 2, 3, 1, 4})
                              .reshape({n, h.kv_heads, h.groups * L, h.head_dim});
    auto keys = [&](const at::Tensor& rows) {
      return rows.index_select(0, t.key_index).view({n, K, h.kv_heads, h.head_dim}).transpose(1, 2);
    };
    const at::Tensor attended = attend(qg, keys(kf), keys(vf), plan.group_mask(i, window), h)
                                    .view({n, h.kv_heads, h.groups, L, h.head_dim})
                                    .permute({0, 3, 1, 2, 4})
                                    .reshape({n * L, -1});
    out = out.index_add(0, t.real_query_positions, attended.index_select(0, t.real_query_slots));
  }
  return out.view({R, T, -1});
}

}  // namespace

at::Tensor self_attention(const AttentionWeights& w, const at::Tensor& x, const ModelConfig& config,
                          const RotaryTables& rope,
                          const std::shared_ptr<const AttentionPlan>& plan,
                          std::optional<int64_t> window) {
  const int64_t R = x.size(0), T = x.size(1), D = config.head_dim;
  const Heads h{config.num_key_value_heads, config.kv_groups(), D};
  const std::vector<at::Tensor> qkv =
      adapted_linears(x, {{w.q_proj, w.q_proj_bias, w.q_proj_adapter},
                          {w.k_proj, w.k_proj_bias, w.k_proj_adapter},
                          {w.v_proj, w.v_proj_bias, w.v_proj_adapter}});
  at::Tensor q = qkv[0].view({R, T, -1, D});
  at::Tensor k = qkv[1].view({R, T, -1, D});
  const at::Tensor v = qkv[2].view({R, T, -1, D});
  if (config.qk_norm) {
    q = rms_norm(q, w.q_norm, config.rms_norm_eps);
    k = rms_norm(k, w.k_norm, config.rms_norm_eps);
  }
  at::Tensor out;
  if (fused_attention_applies(q, k, v, rope, *plan)) {
    const AttentionHeads heads{q.size(2), h.kv_heads, D};
    out = fused_attention(q.reshape({R * T, -1}), k.reshape({R * T, -1}), v.reshape({R * T, -1}),
                          rope, plan, window, heads)
              .view({R, T, -1});
  } else {
    q = apply_rotary(q, rope);
    k = apply_rotary(k, rope);
    out = plan->padded() ? attend_padded(q, k, v, plan->padded_mask(window), h)
                         : attend_groups(q, k, v, *plan, window, h);
  }
  return adapted_linear(out, w.o_proj, w.o_proj_bias, w.o_proj_adapter);
}

}  // namespace wizard::model
