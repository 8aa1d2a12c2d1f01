// AdamW: torch.optim.AdamW's update worked by hand, HF's weight-decay groups, float32 masters
// for low-precision parameters, the fused CPU pass against torch's op sequence, clipping.
#include <gtest/gtest.h>

#include <ATen/Parallel.h>

#include <limits>

#include "test_support.hpp"
#include "train/adamw_cpu.hpp"
#include "train_test_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/train/adamw.hpp"

using wizard::train::AdamW;
using wizard::train::AdamWKernel;
using wizard::train::AdamWOptions;
using wizard::train::NamedParameters;

namespace {

at::Tensor leaf(std::vector<float> values, at::ScalarType dtype = at::kFloat) {
  return at::tensor(values, at::kFloat).to(dtype).set_requires_grad(true);
}

void set_grad(const at::Tensor& parameter, std::vector<float> values) {
  parameter.mutable_grad() = at::tensor(values, at::kFloat).to(parameter.scalar_type());
}

const AdamWOptions kOptions{/*beta1=*/0.9, /*beta2=*/0.999, /*eps=*/1e-8, /*weight_decay=*/0.01};

class AdamWKernels : public ::testing::TestWithParam<AdamWKernel> {};

}  // namespace

namespace wizard::train {
// ctest's test list shows the kernel's name rather than its bytes.
void PrintTo(AdamWKernel kernel, std::ostream* out) {
  *out << (kernel == AdamWKernel::aten        ? "aten"
           : kernel == AdamWKernel::fused_cpu ? "fused"
                                              : "automatic");
}
}  // namespace wizard::train

TEST(AdamWDecay, FollowsHuggingFaceGroups) {
  using wizard::train::applies_weight_decay;
  EXPECT_TRUE(applies_weight_decay("model.embed_tokens.weight"));
  EXPECT_TRUE(applies_weight_decay("model.layers.0.self_attn.q_proj.weight"));
  EXPECT_TRUE(applies_weight_decay("model.layers.3.mlp.down_proj.weight"));
  EXPECT_TRUE(applies_weight_decay("lm_head.weight"));
  EXPECT_FALSE(applies_weight_decay("model.layers.0.self_attn.q_proj.bias"));
  EXPECT_FALSE(applies_weight_decay("model.layers.0.input_layernorm.weight"));
  EXPECT_FALSE(applies_weight_decay("model.layers.0.post_attention_layernorm.weight"));
  EXPECT_FALSE(applies_weight_decay("model.norm.weight"));
  EXPECT_FALSE(applies_weight_decay("model.layers.0.self_attn.q_norm.weight"));
  EXPECT_FALSE(applies_weight_decay("model.layers.0.self_attn.k_norm.weight"));
}

TEST_P(AdamWKernels, TwoStepsByHand) {
  // lr 0.1, betas (0.9, 0.999), eps 1e-8, weight_decay 0.01; a weight (decayed) and a bias (not).
  const at::Tensor weight = leaf({1.0f});
  const at::Tensor bias = leaf({0.2f});
  AdamW optimizer({{"layer.weight", weight}, {"layer.bias", bias}}, kOptions, GetParam());

  // Step 1, g = 0.5:
  //   weight: p = 1 * (1 - 0.1 * 0.01) = 0.999
  //   m = 0.1 * 0.5 = 0.05;  v = 0.001 * 0.25 = 0.00025
  //   bias corrections: 1 - 0.9 = 0.1, 1 - 0.999 = 0.001
  //   denom = sqrt(0.00025) / sqrt(0.001) + 1e-8 = 0.5 + 1e-8;  step size = 0.1 / 0.1 = 1
  //   p = 0.999 - 1 * 0.05 / 0.50000001 = 0.899000002
  //   bias: no decay: p = 0.2 - 0.05 / 0.50000001 = 0.100000002
  set_grad(weight, {0.5f});
  set_grad(bias, {0.5f});
  optimizer.step(0.1);
  EXPECT_NEAR(weight.item<double>(), 0.899000002, 1e-7);
  EXPECT_NEAR(bias.item<double>(), 0.100000002, 1e-7);
  EXPECT_FALSE(weight.grad().defined());  // step() clears the gradients

  // Step 2, g = -0.25:
  //   weight: p = 0.899000002 * 0.999 = 0.898101002
  //   m = 0.9 * 0.05 + 0.1 * -0.25 = 0.02;  v = 0.999 * 0.00025 + 0.001 * 0.0625 = 0.00031225
  //   bias corrections: 1 - 0.81 = 0.19, 1 - 0.998001 = 0.001999
  //   denom = sqrt(0.00031225) / sqrt(0.001999) + 1e-8 = 0.017670597 / 0.044710178 = 0.395225391
  //   step size = 0.1 / 0.19 = 0.526315789
  //   p = 0.898101002 - 0.526315789 * 0.02 / 0.395225391 = 0.871467299
  //   bias: p = 0.100000002 - 0.526315789 * 0.02 / 0.395225391 = 0.073366299
  set_grad(weight, {-0.25f});
  set_grad(bias, {-0.25f});
  optimizer.step(0.1);
  EXPECT_NEAR(weight.item<double>(), 0.871467299, 1e-7);
  EXPECT_NEAR(bias.item<double>(), 0.073366299, 1e-7);
  EXPECT_EQ(optimizer.steps(), 2);
}

TEST_P(AdamWKernels, BiasCorrectionMakesTheFirstStepTheLearningRate) {
  // m/(1-beta1) = g and sqrt(v/(1-beta2)) = |g|, so the first update is lr * sign(g) whatever |g|
  // is (up to eps), for tiny and large gradients alike.
  for (float g : {1e-3f, 1.0f, 1e3f}) {
    const at::Tensor p = leaf({0.0f, 0.0f});
    AdamW optimizer({{"w.weight", p}}, {0.9, 0.999, 1e-8, 0.0}, GetParam());
    set_grad(p, {g, -g});
    optimizer.step(0.01);
    EXPECT_NEAR(p[0].item<double>(), -0.01, 1e-6) << g;
    EXPECT_NEAR(p[1].item<double>(), 0.01, 1e-6) << g;
  }
}

TEST_P(AdamWKernels, ParametersWithoutGradientsAreSkipped) {
  const at::Tensor used = leaf({1.0f});
  const at::Tensor unused = leaf({1.0f});
  AdamW optimizer({{"a.weight", used}, {"b.weight", unused}}, kOptions, GetParam());
  set_grad(used, {1.0f});
  optimizer.step(0.1);
  EXPECT_EQ(unused.item<float>(), 1.0f);  // no decay either, as torch skips it entirely
  EXPECT_EQ(optimizer.slots()[1].step, 0);
  EXPECT_EQ(optimizer.slots()[0].step, 1);
}

TEST_P(AdamWKernels, LowPrecisionParametersKeepFloat32Masters) {
  // An update of 1e-4 is below bfloat16's resolution at 1.0 (2^-7 = 0.0078): the master
  // accumulates it while the model's tensor stays the master rounded to bfloat16.
  const at::Tensor p = leaf({1.0f, -2.0f}, at::kBFloat16);
  AdamW optimizer({{"w.weight", p}}, {0.9, 0.999, 1e-8, 0.0}, GetParam());
  ASSERT_TRUE(optimizer.slots()[0].low_precision());
  for (int step = 0; step < 10; ++step) {
    set_grad(p, {1.0f, 1.0f});
    optimizer.step(1e-4);
  }
  const at::Tensor master = optimizer.slots()[0].master_weights();
  EXPECT_EQ(master.scalar_type(), at::kFloat);
  // Each step moves it by lr (m_hat / sqrt(v_hat) = 1 for a constant gradient); float32 rounding
  // of ten such additions near 2 (spacing 2.4e-7) stays below 2e-6.
  EXPECT_NEAR(master[0].item<double>(), 1.0 - 10e-4, 2e-6);
  EXPECT_NEAR(master[1].item<double>(), -2.0 - 10e-4, 2e-6);
  EXPECT_TRUE(at::equal(p, master.to(at::kBFloat16)));
  EXPECT_EQ(p[0].item<float>(), 1.0f);  // 0.999 rounds back to 1 in bfloat16
}

TEST_P(AdamWKernels, LowPrecisionGradientsAccumulateInFloat32) {
  // Three micro-batch gradients of 1 + 2^-7 (exact in bfloat16, which keeps 8 significant
  // bits): their sum 3 + 3 * 2^-7 = 3.0234375 lies between bfloat16 neighbours (spacing 2^-6
  // in [2, 4)), so summing in bfloat16 would round it; the float32 accumulator holds it.
  const at::Tensor p = leaf({0.0f}, at::kBFloat16);
  AdamW optimizer({{"w.weight", p}}, {0.9, 0.999, 1e-8, 0.0}, GetParam());
  const float g = 1.0f + 1.0f / 128;
  for (int micro_batch = 0; micro_batch < 2; ++micro_batch) {
    set_grad(p, {g});
    optimizer.accumulate_gradients();
    EXPECT_FALSE(p.grad().defined());
  }
  set_grad(p, {g});
  EXPECT_DOUBLE_EQ(optimizer.gradient_norm(), 3.0234375);
  EXPECT_NE(at::tensor({3.0234375f}).to(at::kBFloat16).item<double>(), 3.0234375);
}

TEST_P(AdamWKernels, GradScaleMultipliesTheGradient) {
  // With weight decay 0 the first step is lr * sign(g) for any scale, so compare second moments.
  const at::Tensor a = leaf({0.0f});
  const at::Tensor b = leaf({0.0f});
  AdamW scaled({{"a.weight", a}}, kOptions, GetParam());
  AdamW plain({{"b.weight", b}}, kOptions, GetParam());
  set_grad(a, {4.0f});
  set_grad(b, {2.0f});
  scaled.step(0.1, 0.5f);
  plain.step(0.1);
  EXPECT_TRUE(at::equal(scaled.slots()[0].exp_avg_sq, plain.slots()[0].exp_avg_sq));
  EXPECT_TRUE(at::equal(a, b));
}

TEST_P(AdamWKernels, StateRoundTrip) {
  const auto dir = wizard::test::temp_dir("adamw-state");
  const at::Tensor a = leaf({0.5f, -1.0f, 2.0f}, at::kBFloat16);
  AdamW first({{"x.weight", a}}, kOptions, GetParam());
  for (int step = 0; step < 3; ++step) {
    set_grad(a, {0.1f * (step + 1), -0.2f, 0.3f});
    first.step(0.01);
  }
  wizard::safetensors::save(dir / "optimizer.safetensors", first.state_tensors());

  const at::Tensor b =
      leaf({0.0f, 0.0f, 0.0f}, at::kBFloat16);  // a fresh model: the master restores it
  AdamW second({{"x.weight", b}}, kOptions, GetParam());
  second.load_state(wizard::safetensors::File::open(dir / "optimizer.safetensors"));
  EXPECT_TRUE(at::equal(a, b));
  EXPECT_EQ(second.steps(), 3);
  set_grad(a, {0.4f, 0.4f, -0.4f});
  set_grad(b, {0.4f, 0.4f, -0.4f});
  first.step(0.01);
  second.step(0.01);
  EXPECT_TRUE(at::equal(first.slots()[0].master_weights(), second.slots()[0].master_weights()));
  EXPECT_TRUE(at::equal(first.slots()[0].exp_avg_sq, second.slots()[0].exp_avg_sq));
}

INSTANTIATE_TEST_SUITE_P(Kernels, AdamWKernels,
                         ::testing::Values(AdamWKernel::fused_cpu, AdamWKernel::aten),
                         [](const auto& info) {
                           return info.param == AdamWKernel::aten ? "aten" : "fused";
                         });

TEST(AdamW, AtenPathIsTorchsUpdateBitForBit) {
  // torch 1.13 _single_tensor_adamw, written out with the same ops, on a float32 parameter.
  at::manual_seed(0);
  const at::Tensor p = at::randn({1000}).set_requires_grad(true);
  at::Tensor reference = p.detach().clone();
  at::Tensor exp_avg = at::zeros_like(reference), exp_avg_sq = at::zeros_like(reference);
  AdamW optimizer({{"w.weight", p}}, kOptions, AdamWKernel::aten);
  const double lr = 3e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, wd = 0.01;
  for (int step = 1; step <= 5; ++step) {
    const at::Tensor grad = at::randn({1000});
    p.mutable_grad() = grad.clone();
    optimizer.step(lr);
    reference.mul_(1 - lr * wd);
    exp_avg.mul_(beta1).add_(grad, 1 - beta1);
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
    const double bias_correction1 = 1 - std::pow(beta1, step);
    const double bias_correction2 = 1 - std::pow(beta2, step);
    const at::Tensor denom = (exp_avg_sq.sqrt() / std::sqrt(bias_correction2)).add_(eps);
    reference.addcdiv_(exp_avg, denom, -(lr / bias_correction1));
  }
  EXPECT_TRUE(at::equal(p, reference));
}

TEST(AdamW, FusedAgreesWithTheAtenPath) {
  for (auto dtype : {at::kFloat, at::kBFloat16, at::kHalf}) {
    at::manual_seed(1);
    const at::Tensor init = at::randn({3, 70001});  // not a multiple of any vector width
    const at::Tensor a = init.to(dtype).clone().set_requires_grad(true);
    const at::Tensor b = init.to(dtype).clone().set_requires_grad(true);
    AdamW fused({{"w.weight", a}}, kOptions, AdamWKernel::fused_cpu);
    AdamW aten({{"w.weight", b}}, kOptions, AdamWKernel::aten);
    for (int step = 0; step < 4; ++step) {
      const at::Tensor grad = at::randn({3, 70001}).to(dtype);
      a.mutable_grad() = grad.clone();
      b.mutable_grad() = grad.clone();
      const double norm_fused = fused.gradient_norm();
      const double norm_aten = aten.gradient_norm();
      EXPECT_NEAR(norm_fused, norm_aten, 1e-5 * norm_aten);
      const float scale = wizard::train::clip_coefficient(norm_aten, 100.0);
      fused.step(1e-3, scale);
      aten.step(1e-3, scale);
    }
    const at::Tensor master_a = fused.slots()[0].master_weights();
    const at::Tensor master_b = aten.slots()[0].master_weights();
    // The paths round differently (ATen's vector kernels fuse multiply-adds), so a master may
    // differ by an ulp per step: at |p| < 5 (float32 spacing 4.8e-7) four steps stay below 4e-6.
    EXPECT_LT((master_a - master_b).abs().max().item<double>(), 4e-6) << c10::toString(dtype);
    EXPECT_LT((fused.slots()[0].exp_avg_sq - aten.slots()[0].exp_avg_sq).abs().max().item<double>(),
              1e-9);
  }
}

TEST(AdamW, FusedResultsDoNotDependOnTheThreadCount) {
  auto run = [](int threads) {
    at::set_num_threads(threads);
    at::manual_seed(2);
    const at::Tensor p = at::randn({1 << 18}).to(at::kBFloat16).set_requires_grad(true);
    AdamW optimizer({{"w.weight", p}}, kOptions, AdamWKernel::fused_cpu);
    double norm = 0;
    for (int step = 0; step < 3; ++step) {
      p.mutable_grad() = at::randn({1 << 18}).to(at::kBFloat16);
      norm = optimizer.gradient_norm();
      optimizer.step(1e-3, wizard::train::clip_coefficient(norm, 1.0));
    }
    return std::make_pair(norm, optimizer.slots()[0].master_weights().clone());
  };
  const auto one = run(1);
  const auto two = run(2);
  at::set_num_threads(1);
  EXPECT_EQ(one.first, two.first);
  EXPECT_TRUE(at::equal(one.second, two.second));
}

TEST(AdamW, RejectsTiedOrNonTrainableParameters) {
  const at::Tensor p = leaf({1.0f});
  wizard::test::expect_throw_with<wizard::Error>(
      [&] {
        AdamW({{"a.weight", p}, {"b.weight", p}}, kOptions);
      },
      {"'b.weight' shares its storage", "tied"});
  const at::Tensor frozen = at::ones({2});
  wizard::test::expect_throw_with<wizard::Error>(
      [&] {
        AdamW({{"f.weight", frozen}}, kOptions);
      },
      {"'f.weight' is not a leaf tensor that requires grad"});
}

TEST(ClipGradNorm, MatchesTorch) {
  // Gradients (3, 4) and (12): total norm sqrt(9 + 16 + 144) = 13.
  // max_norm 6.5: coefficient = 6.5 / (13 + 1e-6) = 0.49999996; max_norm 100: clamped to 1.
  at::Tensor a = at::tensor({3.0f, 4.0f});
  at::Tensor b = at::tensor({12.0f});
  EXPECT_DOUBLE_EQ(wizard::train::clip_grad_norm_({a, b}, 6.5), 13.0);
  EXPECT_NEAR(a[0].item<double>(), 1.5, 1e-6);
  EXPECT_NEAR(b[0].item<double>(), 6.0, 1e-6);
  EXPECT_FLOAT_EQ(wizard::train::clip_coefficient(13.0, 6.5), 6.5f / (13.0f + 1e-6f));
  EXPECT_EQ(wizard::train::clip_coefficient(13.0, 100.0), 1.0f);

  // The optimizer's norm is the same total.
  const at::Tensor p = leaf({0.0f, 0.0f});
  const at::Tensor q = leaf({0.0f});
  for (auto kernel : {AdamWKernel::fused_cpu, AdamWKernel::aten}) {
    AdamW optimizer({{"p.weight", p}, {"q.weight", q}}, kOptions, kernel);
    set_grad(p, {3.0f, 4.0f});
    set_grad(q, {12.0f});
    EXPECT_DOUBLE_EQ(optimizer.gradient_norm(), 13.0);
    optimizer.zero_grad();
  }
}

// Float32 masters no bfloat16 holds: random values, signed zeros, values next to rounding ties
// (both directions), the largest finite float and infinities.
at::Tensor awkward_masters() {
  at::manual_seed(3);
  std::vector<float> values = {0.0f,
                               -0.0f,
                               1.0f + 1.0f / 256,
                               -(1.0f + 1.0f / 256),
                               1.0f + 3.0f / 256,
                               std::numeric_limits<float>::max(),
                               -std::numeric_limits<float>::max(),
                               std::numeric_limits<float>::infinity(),
                               std::numeric_limits<float>::denorm_min()};
  const at::Tensor random = at::randn({1000}) * at::exp(at::randn({1000}) * 10);
  for (int64_t i = 0; i < random.numel(); ++i) values.push_back(random[i].item<float>());
  return at::tensor(values);
}

TEST(AdamW, SplitBfloat16MastersRestoreTheFloat32MasterBitForBit) {
  const auto dir = wizard::test::temp_dir("adamw-split");
  const at::Tensor masters = awkward_masters();
  const int64_t n = masters.numel();
  wizard::safetensors::save(dir / "optimizer.safetensors",
                            {{"step.w.weight", at::full({1}, 1, at::dtype(at::kLong))},
                             {"exp_avg.w.weight", at::zeros({n})},
                             {"exp_avg_sq.w.weight", at::zeros({n})},
                             {"master.w.weight", masters}});
  const at::Tensor p = at::zeros({n}, at::kBFloat16).set_requires_grad(true);
  AdamW optimizer({{"w.weight", p}}, kOptions, AdamWKernel::fused_cpu);
  ASSERT_TRUE(optimizer.slots()[0].master_low.defined());
  EXPECT_FALSE(optimizer.slots()[0].master.defined());
  optimizer.load_state(wizard::safetensors::File::open(dir / "optimizer.safetensors"));
  EXPECT_TRUE(
      at::equal(optimizer.slots()[0].master_weights().view(at::kInt), masters.view(at::kInt)));
  // The model holds the master rounded to nearest; a tie goes away from zero (entries 2 and 3,
  // where torch's ties-to-even rounding goes down), so the low half fits 16 bits.
  const at::Tensor nearest_even = masters.to(at::kBFloat16);
  EXPECT_TRUE(at::equal(p.narrow(0, 4, n - 4), nearest_even.narrow(0, 4, n - 4)));
  EXPECT_TRUE(at::equal(p.narrow(0, 0, 2), nearest_even.narrow(0, 0, 2)));
  EXPECT_EQ(p[2].item<float>(), 1.0f + 1.0f / 128);
  EXPECT_EQ(p[3].item<float>(), -(1.0f + 1.0f / 128));
  EXPECT_TRUE(
      at::equal(optimizer.state_tensors().back().second.view(at::kInt), masters.view(at::kInt)));
}

TEST(AdamW, SplitMastersUpdateAsWholeFloat32Masters) {
  // The fused pass on a split master against the same pass on a whole float32 master.
  at::manual_seed(4);
  const at::Tensor masters = awkward_masters().clamp(-1e30, 1e30);
  const int64_t n = masters.numel();
  const at::Tensor whole_param = masters.to(at::kBFloat16);
  const at::Tensor whole_master = masters.clone();
  // Split as AdamW splits: the high half rounded to nearest (ties away from zero), the rest low.
  const at::Tensor bits = masters.view(at::kInt);
  const at::Tensor high = at::bitwise_right_shift(bits + 0x8000, 16);
  const at::Tensor split_param = high.to(at::kShort).view(at::kBFloat16);
  const at::Tensor split_low = (bits - at::bitwise_left_shift(high, 16)).to(at::kShort);
  at::Tensor m1 = at::zeros({n}), v1 = at::zeros({n}), m2 = at::zeros({n}), v2 = at::zeros({n});
  wizard::train::detail::AdamWScalars s{0.999f, 0.9f,  0.1f,   0.999f, 0.001f,
                                        0.03f,  1e-8f, -0.01f, 0.7f};
  for (int step = 0; step < 3; ++step) {
    const at::Tensor grad = at::randn({n}).to(at::kBFloat16);
    wizard::train::detail::fused_adamw_step(whole_param, whole_master, {}, {}, grad, m1, v1, s);
    wizard::train::detail::fused_adamw_step(split_param, {}, split_low, {}, grad, m2, v2, s);
  }
  // Parameters round alike except where the master lies exactly halfway between two bfloat16
  // values (split: away from zero; whole: to even).
  const at::Tensor tie = whole_master.view(at::kInt).bitwise_and(0xFFFF) == 0x8000;
  EXPECT_LT(tie.sum().item<int64_t>(), 5);
  EXPECT_TRUE(at::equal(whole_param.masked_select(~tie), split_param.masked_select(~tie)));
  const at::Tensor joined =
      at::bitwise_left_shift(split_param.view(at::kShort).to(at::kInt).bitwise_and(0xFFFF), 16) +
      split_low.to(at::kInt);
  EXPECT_TRUE(at::equal(joined, whole_master.view(at::kInt)));
  EXPECT_TRUE(at::equal(m1, m2));
  EXPECT_TRUE(at::equal(v1, v2));
}
