// wizard's gradients against plain autograd through a transformers-style eager reference
// written here with ATen ops only (embedding, RMSNorm, rotate-half RoPE, repeat_kv attention
// with an additive causal/window mask, SwiGLU, LM head). The model's own backward pieces —
// the rotary backward, the tied-embedding gradient, checkpointed layers, segmented
// attention — must reproduce what autograd computes through the reference.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "model_test_support.hpp"
#include "wizard/model/causal_lm.hpp"

namespace wizard::test {
namespace {

using model::AttentionLayout;
using model::CausalLM;
using model::ModelConfig;

at::Tensor reference_rms_norm(const at::Tensor& x, const at::Tensor& w, double eps) {
  const at::Tensor x32 = x.to(at::kFloat);
  return w * (x32 * at::rsqrt(x32.pow(2).mean(-1, true) + eps)).to(x.scalar_type());
}

at::Tensor reference_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  const at::Tensor rotated = at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos + rotated * sin;
}

// Logits [R, T, V] of right-padded rows (each row one sequence from position 0).
at::Tensor reference_logits(const CausalLM& model, const at::Tensor& ids, const at::Tensor& mask) {
  const ModelConfig& c = model.config();
  const model::ModelWeights& w = model.weights();
  const int64_t R = ids.size(0), T = ids.size(1), D = c.head_dim;
  const at::Tensor inv_freq =
      1.0 / at::pow(c.rope_theta, at::arange(0, D, 2, at::kLong).to(at::kFloat) / D);
  const at::Tensor freqs = at::arange(T, at::kFloat).unsqueeze(1) * inv_freq;
  const at::Tensor cos = at::cat({freqs, freqs}, -1).cos();  // [T, D], broadcast over R, H
  const at::Tensor sin = at::cat({freqs, freqs}, -1).sin();
  const at::Tensor i = at::arange(T).unsqueeze(1), j = at::arange(T).unsqueeze(0);
  at::Tensor h = at::embedding(w.embed_tokens, ids);
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const auto& L = w.layers[l];
    at::Tensor allowed = (j <= i).unsqueeze(0) & mask.ne(0).unsqueeze(1);  // [R, T, T]
    if (const auto window = c.sliding_window_of_layer(l)) allowed = allowed & (i - j < *window);
    const at::Tensor additive =
        at::zeros({R, 1, T, T})
            .masked_fill(allowed.logical_not().unsqueeze(1), std::numeric_limits<float>::lowest());
    const at::Tensor x = reference_rms_norm(h, L.input_layernorm, c.rms_norm_eps);
    auto heads = [&](const at::Tensor& W, const at::Tensor& b) {
      return at::linear(x, W, b).view({R, T, -1, D});
    };
    at::Tensor q = heads(L.self_attn.q_proj, L.self_attn.q_proj_bias);
    at::Tensor k = heads(L.self_attn.k_proj, L.self_attn.k_proj_bias);
    at::Tensor v = heads(L.self_attn.v_proj, L.self_attn.v_proj_bias);
    if (c.qk_norm) {
      q = reference_rms_norm(q, L.self_attn.q_norm, c.rms_norm_eps);
      k = reference_rms_norm(k, L.self_attn.k_norm, c.rms_norm_eps);
    }
    q = reference_rope(q.transpose(1, 2), cos, sin);
    k = reference_rope(k.transpose(1, 2), cos, sin).repeat_interleave(c.kv_groups(), 1);
    v = v.transpose(1, 2).repeat_interleave(c.kv_groups(), 1);
    const at::Tensor scores = at::matmul(q, k.transpose(2, 3)) / std::sqrt(double(D)) + additive;
    const at::Tensor attended =
        at::matmul(at::softmax(scores, -1), v).transpose(1, 2).reshape({R, T, -1});
    h = h + at::linear(attended, L.self_attn.o_proj, L.self_attn.o_proj_bias);
    const at::Tensor y = reference_rms_norm(h, L.post_attention_layernorm, c.rms_norm_eps);
    const auto& M = L.mlp;
    const at::Tensor gated = at::silu(at::linear(y, M.gate_proj, M.gate_proj_bias)) *
                             at::linear(y, M.up_proj, M.up_proj_bias);
    h = h + at::linear(gated, M.down_proj, M.down_proj_bias);
  }
  h = reference_rms_norm(h, w.norm, c.rms_norm_eps);
  return at::linear(h, w.lm_head.defined() ? w.lm_head : w.embed_tokens);
}

// Summed next-token cross entropy over the tokens of each row.
at::Tensor summed_loss(const at::Tensor& logits, const at::Tensor& ids, const at::Tensor& valid) {
  const int64_t T = ids.size(1);
  const at::Tensor logp = at::log_softmax(logits.narrow(1, 0, T - 1).to(at::kFloat), -1);
  const at::Tensor picked = logp.gather(2, ids.narrow(1, 1, T - 1).unsqueeze(2)).squeeze(2);
  return -(picked * valid.narrow(1, 1, T - 1)).sum();
}

std::vector<at::Tensor> gradients(const CausalLM& model, const at::Tensor& loss) {
  for (at::Tensor& p : model.parameters()) p.mutable_grad() = at::Tensor();
  loss.backward();
  std::vector<at::Tensor> grads;
  for (const at::Tensor& p : model.parameters()) grads.push_back(p.grad().clone());
  return grads;
}

class ReferenceGradients : public ::testing::TestWithParam<std::string> {};

TEST_P(ReferenceGradients, MatchAutogradThroughTheReferenceInEveryLayout) {
  model::InitModelOptions options;
  options.architecture = GetParam();
  options.initializer_range = 0.2;
  options.tie_word_embeddings = GetParam() != "llama";
  if (GetParam() == "mistral") options.sliding_window = 3;
  CausalLM model = CausalLM::from_pretrained(init_model_folder(options, "reference"));
  // Two sequences of 6 and 4 tokens, right-padded for the reference.
  const at::Tensor ids = at::randint(0, 259, {2, 6}, at::kLong);
  const at::Tensor mask =
      at::tensor(std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}).view({2, 6});
  const at::Tensor valid = mask.to(at::kFloat);

  const at::Tensor ref_loss = summed_loss(reference_logits(model, ids, mask), ids, valid);
  const auto expected = gradients(model, ref_loss);

  const at::Tensor packed_ids = at::cat({ids[0], ids[1].narrow(0, 0, 4)}).unsqueeze(0);
  const auto packed = AttentionLayout::packed({{6, 4}}, 10);
  for (bool checkpointing : {false, true}) {
    model.set_gradient_checkpointing(checkpointing);
    SCOPED_TRACE(checkpointing ? "checkpointing" : "plain");
    const auto padded = AttentionLayout::padded(mask);
    const at::Tensor padded_loss =
        summed_loss(model.lm_head(model.forward(ids, padded.position_ids(), padded)), ids, valid);
    const at::Tensor hidden = model.forward(packed_ids, packed.position_ids(), packed);
    const at::Tensor logits = model.lm_head(hidden);
    const at::Tensor packed_loss =
        summed_loss(logits.narrow(1, 0, 6), packed_ids.narrow(1, 0, 6), at::ones({1, 6})) +
        summed_loss(logits.narrow(1, 6, 4), packed_ids.narrow(1, 6, 4), at::ones({1, 4}));
    for (const auto& [name, loss] :
         {std::pair<const char*, at::Tensor>{"padded", padded_loss}, {"packed", packed_loss}}) {
      SCOPED_TRACE(name);
      EXPECT_NEAR(loss.item<double>(), ref_loss.item<double>(), 1e-4);
      const auto got = gradients(model, loss);
      const auto names = model.named_parameters();
      for (std::size_t p = 0; p < got.size(); ++p) {
        // fp32 sums taken in another order (fused kernels, segment-wise attention, the CPU's
        // vector width) differ by rounding that scales with the gradient's own size: compare
        // against the largest entry rather than element by element.
        const double scale = expected[p].abs().max().item<double>();
        const double difference = (got[p] - expected[p]).abs().max().item<double>();
        EXPECT_LE(difference, 1e-5 + 1e-5 * scale)
            << names[p].first << ": max difference " << difference << " at scale " << scale;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Architectures, ReferenceGradients,
                         ::testing::Values("llama", "mistral", "qwen2", "qwen3"));

}  // namespace
}  // namespace wizard::test
