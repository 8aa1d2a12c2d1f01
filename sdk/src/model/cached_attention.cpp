#include "cached_attention.hpp"

#include <cmath>

#include "adapted_linear.hpp"
#include "attention_plan.hpp"
#include "gemv_cpu.hpp"
#include "mlp.hpp"
#include "rmsnorm.hpp"

namespace wizard::model {

namespace {

// decode_linear's product of the base weight, plus what the adapter adds (LoRA, dequantising).
at::Tensor decode(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                  const LinearAdapter& adapter) {
  return add_lora(cpu::decode_linear(x, base_weight(weight, adapter, x.scalar_type()), bias), x,
                  adapter);
}

// transformers' eager attention of T new queries against the first L cached keys, with the
// query heads of one key/value head batched together (no repeated keys): q [R, T, Hq, D],
// keys/values [R, Hkv, capacity, D] -> [R, T, Hq * D].
at::Tensor attend_cached(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                         const at::Tensor& mask, int64_t length, const ModelConfig& c) {
  const int64_t R = q.size(0), T = q.size(1), D = c.head_dim;
  const int64_t kv = c.num_key_value_heads, groups = c.kv_groups();
  const at::Tensor grouped =
      q.view({R, T, kv, groups, D}).permute({0, 2, 3, 1, 4}).reshape({R, kv, groups * T, D});
  const at::Tensor k = keys.narrow(2, 0, length);
  const at::Tensor v = values.narrow(2, 0, length);
  const double scaling = 1.0 / std::sqrt(static_cast<double>(D));
  // (q kᵀ) * scaling + mask, softmax in float32, as transformers' eager_attention_forward.
  const at::Tensor scores =
      at::matmul(grouped, k.transpose(-1, -2)).view({R, kv, groups, T, length}) * scaling + mask;
  const at::Tensor probs = at::softmax(scores, -1, at::kFloat).to(q.scalar_type());
  return at::matmul(probs.view({R, kv, groups * T, length}), v)
      .view({R, kv, groups, T, D})
      .permute({0, 3, 1, 2, 4})
      .reshape({R, T, kv * groups * D});
}

at::Tensor cached_self_attention(const AttentionWeights& w, const at::Tensor& x,
                                 const CachedStep& step, const at::Tensor& mask,
                                 const at::Tensor& keys, const at::Tensor& values) {
  const ModelConfig& c = *step.config;
  const int64_t R = x.size(0), T = x.size(1), D = c.head_dim;
  at::Tensor q = decode(x, w.q_proj, w.q_proj_bias, w.q_proj_adapter).view({R, T, -1, D});
  at::Tensor k = decode(x, w.k_proj, w.k_proj_bias, w.k_proj_adapter).view({R, T, -1, D});
  const at::Tensor v = decode(x, w.v_proj, w.v_proj_bias, w.v_proj_adapter).view({R, T, -1, D});
  if (c.qk_norm) {
    q = rms_norm(q, w.q_norm, c.rms_norm_eps);
    k = rms_norm(k, w.k_norm, c.rms_norm_eps);
  }
  q = apply_rotary(q, step.rope);
  k = apply_rotary(k, step.rope);
  keys.narrow(2, step.start, T).copy_(k.transpose(1, 2));
  values.narrow(2, step.start, T).copy_(v.transpose(1, 2));
  const at::Tensor out = attend_cached(q, keys, values, mask, step.start + T, c);
  return decode(out, w.o_proj, w.o_proj_bias, w.o_proj_adapter);
}

// The SwiGLU block with decode_linear's products.
at::Tensor cached_mlp(const MlpWeights& w, const at::Tensor& x) {
  const at::Tensor gate = decode(x, w.gate_proj, w.gate_proj_bias, w.gate_proj_adapter);
  const at::Tensor up = decode(x, w.up_proj, w.up_proj_bias, w.up_proj_adapter);
  return decode(swiglu(gate, up), w.down_proj, w.down_proj_bias, w.down_proj_adapter);
}

}  // namespace

at::Tensor cached_attention_mask(const at::Tensor& valid, int64_t start, int64_t count,
                                 int64_t window, at::ScalarType dtype) {
  const int64_t length = start + count;
  const auto options = at::TensorOptions().dtype(at::kLong).device(valid.device());
  const at::Tensor key_at = at::arange(length, options).view({1, 1, -1});
  const at::Tensor query_at = at::arange(start, length, options).view({1, -1, 1});
  at::Tensor ok = valid.narrow(1, 0, length).unsqueeze(1).logical_and(key_at <= query_at);
  if (window > 0) ok = ok.logical_and(query_at - key_at < window);
  return additive_mask(ok, dtype).view({valid.size(0), 1, 1, count, length});
}

at::Tensor cached_decoder_layer(const DecoderLayerWeights& w, const at::Tensor& x,
                                const CachedStep& step, const at::Tensor& mask,
                                const at::Tensor& keys, const at::Tensor& values) {
  const double eps = step.config->rms_norm_eps;
  const at::Tensor h = x + cached_self_attention(w.self_attn, rms_norm(x, w.input_layernorm, eps),
                                                 step, mask, keys, values);
  return h + cached_mlp(w.mlp, rms_norm(h, w.post_attention_layernorm, eps));
}

}  // namespace wizard::model
