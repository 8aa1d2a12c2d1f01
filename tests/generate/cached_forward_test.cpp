// CausalLM::forward_cached (prefill, then one position at a time) gives the logits of the
// full forward pass over the same left-padded batch, for every architecture feature that
// touches attention: grouped-query heads, q/k norms, sliding windows, untied heads.
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include "test_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/model/init_model.hpp"

namespace wizard::test {
namespace {

using model::AttentionLayout;
using model::CausalLM;
using model::InitModelOptions;
using model::KvCache;

CausalLM tiny_model(const std::string& architecture, bool tied, std::optional<int64_t> window) {
  InitModelOptions options = InitModelOptions::preset("tiny");
  options.architecture = architecture;
  options.tie_word_embeddings = tied;
  options.sliding_window = window;
  options.initializer_range = 0.2;  // logits far from uniform: every operation shows
  options.seed = 3;
  const auto dir = temp_dir("cached-forward-" + architecture) / "m";
  model::init_model(dir, options);
  return CausalLM::from_pretrained(dir);
}

struct Case {
  std::string architecture;
  bool tied;
  std::optional<int64_t> window;
};

class CachedForward : public ::testing::TestWithParam<Case> {};

TEST_P(CachedForward, PrefillThenStepsEqualTheFullForward) {
  const Case& c = GetParam();
  const CausalLM model = tiny_model(c.architecture, c.tied, c.window);
  at::NoGradGuard no_grad;
  // Three rows, left-padded: 3, 6 and 1 prompt tokens, then 4 more tokens each.
  const int64_t rows = 3, prompt = 6, extra = 4, total = prompt + extra;
  const at::Tensor ids = at::randint(3, 250, {rows, total}, at::kLong);
  at::Tensor mask = at::ones({rows, total}, at::kLong);
  mask[0].narrow(0, 0, 3).zero_();
  mask[2].narrow(0, 0, 5).zero_();
  const AttentionLayout layout = AttentionLayout::padded(mask);
  const at::Tensor positions = layout.position_ids();
  const at::Tensor full = model.lm_head(model.forward(ids, positions, layout));

  KvCache cache(model.config(), rows, total, at::kFloat, at::kCPU);
  const auto take = [](const at::Tensor& t, int64_t start, int64_t length) {
    return t.narrow(1, start, length);
  };
  std::vector<at::Tensor> cached{model.lm_head(model.forward_cached(
      take(ids, 0, prompt), take(positions, 0, prompt), take(mask, 0, prompt), cache))};
  for (int64_t t = prompt; t < total; ++t) {
    cached.push_back(model.lm_head(
        model.forward_cached(take(ids, t, 1), take(positions, t, 1), take(mask, t, 1), cache)));
  }
  EXPECT_EQ(cache.length(), total);
  const at::Tensor stepped = at::cat(cached, 1);
  // Only positions holding tokens have defined logits.
  const at::Tensor real = mask.to(at::kBool).unsqueeze(-1).expand_as(full);
  const double error = (stepped - full).abs().masked_select(real).max().item<double>();
  EXPECT_LE(error, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(
    Architectures, CachedForward,
    ::testing::Values(Case{"qwen2", true, std::nullopt}, Case{"qwen3", true, std::nullopt},
                      Case{"llama", false, std::nullopt}, Case{"mistral", false, 3}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.architecture; });

TEST(KvCache, RefusesToGrowBeyondItsCapacity) {
  const CausalLM model = tiny_model("qwen2", true, std::nullopt);
  KvCache cache(model.config(), 1, 4, at::kFloat, at::kCPU);
  const at::Tensor ids = at::full({1, 3}, 5, at::kLong);
  const at::Tensor positions = at::arange(3, at::kLong).view({1, 3});
  model.forward_cached(ids, positions, at::ones({1, 3}, at::kBool), cache);
  try {
    model.forward_cached(ids, positions, at::ones({1, 3}, at::kBool), cache);
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("exceed its capacity of 4"), std::string::npos)
        << error.what();
  }
}

TEST(KvCache, SelectedRowsKeepTheirKeysAndValues) {
  const CausalLM model = tiny_model("qwen2", true, std::nullopt);
  at::NoGradGuard no_grad;
  const at::Tensor ids = at::randint(3, 250, {3, 5}, at::kLong);
  const at::Tensor positions = at::arange(5, at::kLong).repeat({3, 1});
  const at::Tensor ones = at::ones({3, 5}, at::kBool);
  KvCache all(model.config(), 3, 6, at::kFloat, at::kCPU);
  model.forward_cached(ids, positions, ones, all);
  KvCache selected(model.config(), 3, 6, at::kFloat, at::kCPU);
  model.forward_cached(ids, positions, ones, selected);
  selected.select_rows({0, 2});
  ASSERT_EQ(selected.rows(), 2);
  const at::Tensor next = at::full({3, 1}, 7, at::kLong);
  const at::Tensor next_positions = at::full({3, 1}, 5, at::kLong);
  const at::Tensor from_all =
      model.forward_cached(next, next_positions, at::ones({3, 1}, at::kBool), all);
  const at::Tensor from_selected = model.forward_cached(
      next.narrow(0, 0, 2), next_positions.narrow(0, 0, 2), at::ones({2, 1}, at::kBool), selected);
  EXPECT_TRUE(at::allclose(from_selected[0], from_all[0], 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(from_selected[1], from_all[2], 1e-5, 1e-5));
}

}  // namespace
}  // namespace wizard::test
