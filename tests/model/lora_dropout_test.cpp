// LoRA dropout for adapters that read the same input (sdk/src/model/lora_down.hpp,
// adapted_linear.hpp): one mask per input, and gradients equal to plain autograd through the
// dropped input with that mask.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "model/adapted_linear.hpp"
#include "model/lora_down.hpp"

namespace wizard::test {
namespace {

// With A = I (r = in) the down-projection is the dropped input itself, so its zeros are the
// mask the call drew; x has no zeros.
TEST(LoraDropout, GradientsEqualAutogradThroughTheDroppedInputWithTheSameMask) {
  at::manual_seed(5);
  const double p = 0.3;
  const at::Tensor x = (at::rand({2, 7, 6}, at::kDouble) + 0.5).requires_grad_(true);
  const at::Tensor eye = at::eye(6, at::kDouble).requires_grad_(true);
  const at::Tensor a1 = at::randn({3, 6}, at::kDouble).requires_grad_(true);
  const at::Tensor a2 = at::randn({4, 6}, at::kDouble).requires_grad_(true);
  const std::vector<at::Tensor> down = model::lora_down(x, {eye, a1, a2}, p);
  ASSERT_EQ(down.size(), 3u);
  const at::Tensor keep = down[0].detach() != 0;
  const double kept = keep.to(at::kDouble).mean().item<double>();
  EXPECT_GT(kept, 0.5);  // about 0.7 of 84
  EXPECT_LT(kept, 0.9);
  // Kept elements scaled by 1 / (1 - p), as nn.Dropout.
  EXPECT_TRUE(at::allclose(down[0].detach(), x.detach() * keep / (1 - p)));

  const at::Tensor rx = x.detach().clone().requires_grad_(true);
  const at::Tensor r1 = a1.detach().clone().requires_grad_(true);
  const at::Tensor r2 = a2.detach().clone().requires_grad_(true);
  const at::Tensor dropped = rx * keep / (1 - p);
  const at::Tensor ref1 = at::linear(dropped, r1), ref2 = at::linear(dropped, r2);
  EXPECT_TRUE(at::allclose(down[1], ref1));
  EXPECT_TRUE(at::allclose(down[2], ref2));

  const at::Tensor w1 = at::randn_like(ref1), w2 = at::randn_like(ref2);
  ((down[1] * w1).sum() + (down[2] * w2).sum() + down[0].sum()).backward();
  ((ref1 * w1).sum() + (ref2 * w2).sum() + dropped.sum()).backward();
  EXPECT_TRUE(at::allclose(x.grad(), rx.grad()));
  EXPECT_TRUE(at::allclose(a1.grad(), r1.grad()));
  EXPECT_TRUE(at::allclose(a2.grad(), r2.grad()));
  // The identity's gradient: the sum's ones against the dropped input.
  EXPECT_TRUE(
      at::allclose(eye.grad(), at::ones({6, 14}, at::kDouble).mm(dropped.detach().view({14, 6}))));
}

// The CPU's counter-based mask: each element dropped with probability p, independently of its
// neighbour (two elements come from one 64-bit hash), a new mask on each call.
TEST(LoraDropout, TheMaskDropsAShareOfPAndPairsIndependently) {
  at::manual_seed(11);
  const double p = 0.3;
  const at::Tensor x = at::ones({33335, 6}, at::kDouble);  // 200010 elements
  const at::Tensor eye = at::eye(6, at::kDouble);
  const at::Tensor dropped = (model::lora_down(x, {eye}, p)[0] == 0).flatten();
  const at::Tensor again = (model::lora_down(x, {eye}, p)[0] == 0).flatten();
  // Binomial: the standard deviation of the share is sqrt(p (1 - p) / n) = 0.001; 5 of them.
  EXPECT_NEAR(dropped.to(at::kDouble).mean().item<double>(), p, 0.005);
  const at::Tensor pairs = dropped.view({-1, 2});
  const double both =
      (pairs.select(1, 0) & pairs.select(1, 1)).to(at::kDouble).mean().item<double>();
  EXPECT_NEAR(both, p * p, 0.007);  // 0.09; sd sqrt(0.09 * 0.91 / 100005) = 0.0009
  EXPECT_NEAR((dropped & again).to(at::kDouble).mean().item<double>(), p * p, 0.005);
}

TEST(LoraDropout, WithoutDropoutTheProductsArePlain) {
  const at::Tensor x = at::randn({3, 5});
  const at::Tensor a = at::randn({2, 5});
  EXPECT_TRUE(at::equal(model::lora_down(x, {a}, 0)[0], at::linear(x, a)));
}

// q and k with identical weights and adapters compute the same under one shared mask (with a
// mask per adapter, as before, they would differ almost surely).
TEST(LoraDropout, LayersOnTheSameInputShareOneMask) {
  at::manual_seed(9);
  const at::Tensor x = at::randn({2, 5, 8}).requires_grad_(true);
  const at::Tensor weight = at::randn({8, 8});
  const at::Tensor bias;
  model::LinearAdapter adapter;
  adapter.lora_A = at::randn({4, 8}).requires_grad_(true);
  adapter.lora_B = at::randn({8, 4}).requires_grad_(true);
  adapter.scaling = 2;
  adapter.dropout = 0.5;
  const std::vector<at::Tensor> out =
      model::adapted_linears(x, {{weight, bias, adapter}, {weight, bias, adapter}});
  EXPECT_TRUE(at::equal(out[0], out[1]));
  // Each call draws a new mask: a second call differs.
  const at::Tensor again = model::adapted_linear(x, weight, bias, adapter);
  EXPECT_FALSE(at::equal(out[0], again));
  // No dropout outside training (autograd off, no LoraTrainingScope): the plain update.
  at::NoGradGuard no_grad;
  const at::Tensor eval = model::adapted_linear(x, weight, bias, adapter);
  const at::Tensor plain =
      at::linear(x, weight) + at::linear(at::linear(x, adapter.lora_A), adapter.lora_B) * 2;
  EXPECT_TRUE(at::allclose(eval, plain, 1e-5, 1e-5));
}

}  // namespace
}  // namespace wizard::test
