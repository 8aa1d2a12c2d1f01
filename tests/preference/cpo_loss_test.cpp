// The shared CPO math in wizard/preference/cpo_loss.hpp, with hand-computed values.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>
#include <limits>

#include "preference_test_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/preference/cpo_loss.hpp"

namespace pref = wizard::preference;
using pref::LogpReduction;
using wizard::test::pair_logps;

namespace {

double at_(const at::Tensor& tensor, int64_t i) {
  return tensor[i].item<double>();
}

}  // namespace

TEST(CpoLoss, SequenceLogpsSumOrAverage) {
  const at::Tensor sums = at::tensor({-6.0, -1.5}, at::kDouble);
  const at::Tensor tokens = at::tensor({3.0, 1.0}, at::kDouble);
  EXPECT_TRUE(pref::sequence_logps(sums, tokens, LogpReduction::Sum).equal(sums));
  // -6 / 3 = -2, -1.5 / 1 = -1.5
  const at::Tensor average = pref::sequence_logps(sums, tokens, LogpReduction::Average);
  EXPECT_EQ(at_(average, 0), -2.0);
  EXPECT_EQ(at_(average, 1), -1.5);
}

TEST(CpoLoss, AverageKeepsBfloat16ButCountsExactly) {
  // 257 is not a bfloat16 (it rounds to 256). -256 / 257 = -0.99611, which
  // rounds to the bfloat16 -255/256; with the count rounded it would be -1.
  const at::Tensor sum = at::tensor({-256.0}, at::kFloat).to(at::kBFloat16);
  const at::Tensor tokens = at::tensor({257.0}, at::kFloat);
  const at::Tensor average = pref::sequence_logps(sum, tokens, LogpReduction::Average);
  EXPECT_EQ(average.scalar_type(), at::kBFloat16);
  EXPECT_EQ(at_(average, 0), -255.0 / 256.0);
}

TEST(CpoLoss, AlphapoRewardShape) {
  const at::Tensor logps = at::tensor({-2.0, -4.0, 0.0}, at::kDouble);
  // alpha = 0.5: p^(-0.5) = exp(-logp / 2) -> r = (1 - e^1) / 0.5, (1 - e^2) / 0.5, 0
  const at::Tensor r = pref::alphapo_reward(logps, 0.5);
  EXPECT_NEAR(at_(r, 0), 2 * (1 - std::exp(1.0)), 1e-12);
  EXPECT_NEAR(at_(r, 1), 2 * (1 - std::exp(2.0)), 1e-12);
  EXPECT_EQ(at_(r, 2), 0.0);
  // alpha = -1: r = (1 - p) / -1 = p - 1 = e^-2 - 1
  EXPECT_NEAR(at_(pref::alphapo_reward(logps, -1.0), 0), std::exp(-2.0) - 1, 1e-12);
  // alpha = 0 is the log-prob itself.
  EXPECT_TRUE(pref::alphapo_reward(logps, 0.0).equal(logps));
}

TEST(CpoLoss, AlphapoRewardOfLongCompletionStaysFinite) {
  // A 2000-token answer: exp(-2000) underflows to 0 in float32, and TRL's
  // 0^(-alpha) would be infinite. r = (1 - e^(0.01 * 2000)) / 0.01 = (1 - e^20) * 100.
  const at::Tensor r = pref::alphapo_reward(at::tensor({-2000.0}, at::kFloat), 0.01);
  EXPECT_NEAR(at_(r, 0), (1 - std::exp(20.0)) * 100, 1e-6 * std::exp(20.0) * 100);
}

TEST(CpoLoss, MarginFromLogps) {
  // chosen -6 over 3 tokens = -2, rejected -12 over 4 tokens = -3
  const auto logps = pair_logps({-6.0}, {-12.0}, {3.0}, {4.0});
  const auto summed = pref::cpo_margin(logps, LogpReduction::Sum, 0.0);
  EXPECT_EQ(at_(summed.logits, 0), 6.0);  // -6 - -12
  const auto averaged = pref::cpo_margin(logps, LogpReduction::Average, 0.0);
  EXPECT_EQ(at_(averaged.chosen_logps, 0), -2.0);
  EXPECT_EQ(at_(averaged.rejected_logps, 0), -3.0);
  EXPECT_EQ(at_(averaged.logits, 0), 1.0);
}

TEST(CpoLoss, SigmoidLossesWithLabelSmoothing) {
  const at::Tensor logits = at::tensor({2.0, 0.0}, at::kDouble);
  // beta 0.5: beta * logits = [1, 0]
  // ls 0:   -log sigmoid(1) = log(1 + e^-1); -log sigmoid(0) = log 2
  const at::Tensor plain = pref::sigmoid_losses(logits, 0.5, 0.0);
  EXPECT_NEAR(at_(plain, 0), std::log1p(std::exp(-1.0)), 1e-12);
  EXPECT_NEAR(at_(plain, 1), std::log(2.0), 1e-12);
  // ls 0.1: 0.9 log(1 + e^-1) + 0.1 log(1 + e) = log(1 + e^-1) + 0.1, since
  // log(1 + e) - log(1 + e^-1) = 1; and log 2 at a zero margin.
  const at::Tensor smoothed = pref::sigmoid_losses(logits, 0.5, 0.1);
  EXPECT_NEAR(at_(smoothed, 0), std::log1p(std::exp(-1.0)) + 0.1, 1e-12);
  EXPECT_NEAR(at_(smoothed, 1), std::log(2.0), 1e-12);
}

TEST(CpoLoss, InfiniteMarginWithoutSmoothingGivesNoNan) {
  const double inf = std::numeric_limits<double>::infinity();
  const at::Tensor losses = pref::sigmoid_losses(at::tensor({inf}, at::kDouble), 1.0, 0.0);
  EXPECT_EQ(at_(losses, 0), 0.0);
}

TEST(CpoLoss, NllTermIsNotReadAtZeroWeight) {
  const at::Tensor losses = at::tensor({1.0, 3.0}, at::kDouble);
  const at::Tensor nan = at::tensor(std::numeric_limits<double>::quiet_NaN(), at::kDouble);
  // mean(1, 3) = 2; 0 * NaN would be NaN, but the term is left out.
  EXPECT_EQ(pref::total_cpo_loss(losses, 0.0, nan).item<double>(), 2.0);
  EXPECT_EQ(pref::total_cpo_loss(losses, 0.0, at::Tensor()).item<double>(), 2.0);
  // 2 + 0.5 * 4 = 4
  EXPECT_EQ(pref::total_cpo_loss(losses, 0.5, at::tensor(4.0, at::kDouble)).item<double>(), 4.0);
  EXPECT_THROW(pref::total_cpo_loss(losses, 1.0, at::Tensor()), wizard::Error);
}

TEST(CpoLoss, AssembleReportsRewardsAndDetaches) {
  auto logps = pair_logps({-1.0}, {-3.0});
  logps.chosen_logps_sum.requires_grad_(true);
  const auto margin = pref::cpo_margin(logps, LogpReduction::Sum, 0.0);
  const auto out = pref::assemble_cpo_loss(margin, pref::sigmoid_losses(margin.logits, 0.5, 0.0),
                                           0.5, 1.0, at::tensor(2.0, at::kDouble));
  // rewards = 0.5 * [-1] and 0.5 * [-3]; loss = log(1 + e^-1) + 1 * 2
  EXPECT_EQ(at_(out.chosen_rewards, 0), -0.5);
  EXPECT_EQ(at_(out.rejected_rewards, 0), -1.5);
  EXPECT_NEAR(out.loss.item<double>(), std::log1p(std::exp(-1.0)) + 2, 1e-12);
  EXPECT_TRUE(out.loss.requires_grad());
  EXPECT_FALSE(out.chosen_rewards.requires_grad());
  EXPECT_FALSE(out.chosen_logps.requires_grad());
}

TEST(CpoLoss, MismatchedShapesAreErrors) {
  auto logps = pair_logps({-1.0, -2.0}, {-3.0});
  try {
    pref::cpo_margin(logps, LogpReduction::Sum, 0.0);
    FAIL() << "expected an error";
  } catch (const wizard::Error& error) {
    EXPECT_NE(std::string(error.what()).find("rejected_logps_sum has shape [1]"), std::string::npos)
        << error.what();
  }
  // Averaging needs the token counts.
  logps = pair_logps({-1.0}, {-3.0});
  logps.chosen_tokens = at::Tensor();
  EXPECT_THROW(pref::cpo_margin(logps, LogpReduction::Average, 0.0), wizard::Error);
  EXPECT_NO_THROW(pref::cpo_margin(logps, LogpReduction::Sum, 0.0));
}
