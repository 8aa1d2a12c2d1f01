// Tied models give the shared embedding one gradient for its two uses (lookup and LM head).
// It must equal the sum of the two gradients of an untied twin with the same values, in
// every way the model may be used between forward and backward.
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include <map>

#include "model_test_support.hpp"
#include "wizard/model/causal_lm.hpp"

namespace wizard::test {
namespace {

using model::AttentionLayout;
using model::CausalLM;

constexpr int64_t kPad = 5;

// A tied model with a pad token, and its untied twin (lm_head a copy of the embeddings).
std::pair<CausalLM, CausalLM> tied_and_untied() {
  model::InitModelOptions options;
  options.initializer_range = 0.3;
  const CausalLM loaded = CausalLM::from_pretrained(init_model_folder(options, "tied"));
  std::map<std::string, at::Tensor> values;
  for (auto& [name, tensor] : loaded.named_parameters()) values[name] = tensor.detach();
  values["lm_head.weight"] = values.at("model.embed_tokens.weight");
  auto make = [&](bool tied) {
    nlohmann::json json = loaded.config().to_json();
    json["tie_word_embeddings"] = tied;
    json["pad_token_id"] = kPad;
    const auto config = model::ModelConfig::from_json(json);
    model::ModelWeights weights;
    model::visit_parameters(config, weights,
                            [&](const model::ParameterSpec& spec, at::Tensor& slot) {
                              slot = values.at(spec.name).clone().requires_grad_(true);
                            });
    return CausalLM(config, weights);
  };
  return {make(true), make(false)};
}

using Step = std::function<at::Tensor(const CausalLM&)>;

// Runs `step` (which returns a loss) on both models and compares every gradient.
void expect_same_gradients(const Step& step) {
  auto [tied, untied] = tied_and_untied();
  step(tied).backward();
  step(untied).backward();
  // A use that did not happen leaves no gradient.
  auto grad = [](const at::Tensor& t) { return t.grad().defined() ? t.grad() : at::zeros_like(t); };
  const at::Tensor expected_embedding =
      grad(untied.weights().embed_tokens) + grad(untied.weights().lm_head);
  const at::Tensor embedding = tied.weights().embed_tokens.grad();
  ASSERT_TRUE(embedding.defined());
  EXPECT_TRUE(at::allclose(embedding, expected_embedding, 1e-5, 1e-6))
      << (embedding - expected_embedding).abs().max().item<double>();
  const auto a = tied.named_parameters();
  const auto b = untied.named_parameters();
  for (std::size_t i = 1; i < a.size(); ++i) {  // 0 is the embedding, checked above
    ASSERT_EQ(a[i].first, b[i].first);
    EXPECT_TRUE(at::allclose(grad(a[i].second), grad(b[i].second), 1e-5, 1e-6)) << a[i].first;
  }
}

at::Tensor ids_with_padding() {
  return at::tensor(std::vector<int64_t>{7, 8, kPad, 9, 7, 10, kPad, kPad}).view({2, 4});
}

at::Tensor head_loss(const CausalLM& model, const at::Tensor& ids) {
  const auto layout = AttentionLayout::packed({{4}, {4}}, 4);
  const at::Tensor hidden = model.forward(ids, layout.position_ids(), layout);
  return at::log_softmax(model.lm_head(hidden.reshape({-1, hidden.size(-1)})), -1)
      .select(1, 3)
      .sum();
}

TEST(TiedEmbedding, GradientIsTheSumOfLookupAndHeadGradients) {
  expect_same_gradients([](const CausalLM& m) { return head_loss(m, ids_with_padding()); });
}

TEST(TiedEmbedding, TwoForwardsBeforeOneBackward) {
  // chosen and rejected in separate passes, LM head on both after both forwards.
  expect_same_gradients([](const CausalLM& m) {
    const auto layout = AttentionLayout::packed({{4}}, 4);
    const at::Tensor a =
        m.forward(ids_with_padding()[0].unsqueeze(0), layout.position_ids(), layout);
    const at::Tensor b =
        m.forward(ids_with_padding()[1].unsqueeze(0), layout.position_ids(), layout);
    return m.lm_head(a).sum() - 0.5 * m.lm_head(b).pow(2).sum();
  });
}

TEST(TiedEmbedding, HeadWeightIsBoundToTheLatestLookupOnlyUnderAutograd) {
  auto [tied, untied] = tied_and_untied();
  const auto layout = AttentionLayout::packed({{4}, {4}}, 4);
  EXPECT_FALSE(tied.lm_head_weight().grad_fn());  // no forward yet: the embedding itself
  tied.forward(ids_with_padding(), layout.position_ids(), layout);
  EXPECT_TRUE(tied.lm_head_weight().grad_fn());
  EXPECT_TRUE(at::equal(tied.lm_head_weight(), tied.weights().embed_tokens));
  {
    at::NoGradGuard no_grad;
    EXPECT_FALSE(tied.lm_head_weight().grad_fn());
  }
  untied.forward(ids_with_padding(), layout.position_ids(), layout);
  EXPECT_TRUE(untied.lm_head_weight().is_same(untied.weights().lm_head));
}

TEST(TiedEmbedding, HeadComputedByTheCallerInChunks) {
  expect_same_gradients([](const CausalLM& m) {
    const auto layout = AttentionLayout::packed({{4}, {4}}, 4);
    const at::Tensor hidden = m.forward(ids_with_padding(), layout.position_ids(), layout);
    const at::Tensor rows = hidden.reshape({-1, hidden.size(-1)});
    const at::Tensor weight = m.lm_head_weight();
    at::Tensor loss = at::zeros({});
    for (int64_t start = 0; start < rows.size(0); start += 3) {
      const int64_t n = std::min<int64_t>(3, rows.size(0) - start);
      loss = loss + at::linear(rows.narrow(0, start, n), weight).logsumexp(-1).sum();
    }
    return loss;
  });
}

TEST(TiedEmbedding, AHeadGradientSharedWithAnotherTensorIsLeftAlone) {
  // d/dX of sum((W + 2X) * C) is 2C; the same gradient tensor that reaches W's alias also
  // reaches the product 2X, whose backward runs after the lookup's (it was recorded first).
  auto [tied, untied] = tied_and_untied();
  const at::Tensor leaf = at::zeros_like(tied.weights().embed_tokens).requires_grad_(true);
  const at::Tensor doubled = leaf * 2;
  const auto layout = AttentionLayout::packed({{4}, {4}}, 4);
  const at::Tensor hidden = tied.forward(ids_with_padding(), layout.position_ids(), layout);
  const at::Tensor scale = at::randn(leaf.sizes());
  (hidden.sum() + (tied.lm_head_weight() + doubled).mul(scale).sum()).backward();
  EXPECT_TRUE(at::equal(leaf.grad(), scale * 2));
}

TEST(TiedEmbedding, LossWithoutTheHead) {
  expect_same_gradients([](const CausalLM& m) {
    const auto layout = AttentionLayout::packed({{4}, {4}}, 4);
    return m.forward(ids_with_padding(), layout.position_ids(), layout).pow(2).sum();
  });
}

TEST(TiedEmbedding, HeadWithoutAForward) {
  expect_same_gradients([](const CausalLM& m) {
    return m.lm_head(at::ones({3, m.config().hidden_size})).logsumexp(-1).sum();
  });
}

TEST(TiedEmbedding, CheckpointedLayersAndAnInferencePassInBetween) {
  expect_same_gradients([](const CausalLM& m) {
    const_cast<CausalLM&>(m).set_gradient_checkpointing(true);
    const auto layout = AttentionLayout::packed({{4}, {4}}, 4);
    const at::Tensor hidden = m.forward(ids_with_padding(), layout.position_ids(), layout);
    {
      at::NoGradGuard no_grad;
      m.forward(ids_with_padding(), layout.position_ids(), layout);
    }
    return m.lm_head(hidden).sum();
  });
}

}  // namespace
}  // namespace wizard::test
