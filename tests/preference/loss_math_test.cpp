// The shared loss math of wizard/preference (answer_scores, multi_negative, loss_assembly) on
// the test device, with hand-computed values.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <string>

#include "preference_test_support.hpp"
#include "test_device.hpp"
#include "wizard/base/error.hpp"
#include "wizard/preference/answer_scores.hpp"
#include "wizard/preference/loss_assembly.hpp"
#include "wizard/preference/multi_negative.hpp"

namespace pref = wizard::preference;
using pref::ScoreReduction;
using wizard::test::doubles_on_device;
using wizard::test::multi_scores;
using wizard::test::pair_scores;
using wizard::test::value_at;

namespace {

const double kInf = std::numeric_limits<double>::infinity();
const double kNan = std::numeric_limits<double>::quiet_NaN();

// -log sigmoid(x) = log(1 + e^-x)
double softplus_neg(double x) {
  return std::log1p(std::exp(-x));
}

at::Tensor mask_of(std::initializer_list<std::initializer_list<bool>> rows) {
  std::vector<double> flat;
  int64_t k = 0;
  for (const auto& row : rows) {
    k = static_cast<int64_t>(row.size());
    for (bool valid : row) flat.push_back(valid ? 1.0 : 0.0);
  }
  return doubles_on_device(flat).reshape({-1, k}).to(at::kBool);
}

std::string error_of(const wizard::PreferenceScores& scores) {
  try {
    pref::check_preference_scores(scores);
  } catch (const wizard::Error& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST(AnswerScores, SumOrAverageOfEveryAnswer) {
  // chosen -6 over 3 tokens; negatives -12 over 4 and -9 over 3 tokens.
  const auto in = multi_scores({-6.0}, {{-12.0, -9.0}}, {3.0}, {{4.0, 3.0}});
  const auto sums = pref::answer_scores(in, ScoreReduction::Sum);
  EXPECT_EQ(value_at(sums.chosen, 0), -6.0);
  EXPECT_EQ(value_at(sums.negatives, 0, 1), -9.0);
  // -6 / 3 = -2; -12 / 4 = -3; -9 / 3 = -3
  const auto averages = pref::answer_scores(in, ScoreReduction::Average);
  EXPECT_EQ(value_at(averages.chosen, 0), -2.0);
  EXPECT_EQ(value_at(averages.negatives, 0, 0), -3.0);
  EXPECT_EQ(value_at(averages.negatives, 0, 1), -3.0);
  EXPECT_EQ(averages.chosen.device(), wizard::test::test_device());
}

TEST(AnswerScores, AverageKeepsBfloat16ButCountsExactly) {
  // 257 is not a bfloat16 (it rounds to 256). -256 / 257 = -0.99611, which rounds to the
  // bfloat16 -255/256; with the count rounded it would be -1.
  const at::Tensor sum = doubles_on_device({-256.0}).to(at::kBFloat16);
  const at::Tensor tokens = doubles_on_device({257.0}).to(at::kFloat);
  const at::Tensor average = pref::reduce_logps(sum, tokens, ScoreReduction::Average);
  EXPECT_EQ(average.scalar_type(), at::kBFloat16);
  EXPECT_EQ(value_at(average, 0), -255.0 / 256.0);
}

TEST(AnswerScores, ReferenceScoresAreSubtractedUnderTheSameReduction) {
  // Policy: chosen -6 (3 tokens), negatives -12 (4 tokens), -9 (3 tokens), and one masked.
  // Reference: chosen -3, negatives -8, -3, and 5 on the masked entry (never used).
  auto in = multi_scores({-6.0, -1.0}, {{-12.0, -9.0}, {-1.0}}, {3.0, 1.0}, {{4.0, 3.0}, {1.0}});
  in.reference_chosen_logps_sum = doubles_on_device({-3.0, -1.0});
  in.reference_negative_logps_sum = doubles_on_device({-8.0, -3.0, -1.0, 5.0}).reshape({2, 2});
  // Sums: -6 - -3 = -3; -12 - -8 = -4; -9 - -3 = -6.
  const auto sums = pref::answer_scores(in, ScoreReduction::Sum);
  EXPECT_EQ(value_at(sums.chosen, 0), -3.0);
  EXPECT_EQ(value_at(sums.negatives, 0, 0), -4.0);
  EXPECT_EQ(value_at(sums.negatives, 0, 1), -6.0);
  EXPECT_EQ(value_at(sums.negatives, 1, 1), 0.0);  // masked: 0, whatever the reference says
  // Averages: -6/3 - -3/3 = -1; -12/4 - -8/4 = -1; -9/3 - -3/3 = -2.
  const auto averages = pref::answer_scores(in, ScoreReduction::Average);
  EXPECT_EQ(value_at(averages.chosen, 0), -1.0);
  EXPECT_EQ(value_at(averages.negatives, 0, 0), -1.0);
  EXPECT_EQ(value_at(averages.negatives, 0, 1), -2.0);
}

TEST(AnswerScores, MaskedEntriesCannotLeakNanIntoScoresOrGradients) {
  // A masked negative with 0 tokens and a NaN sum: a mean would be 0/0, and its gradient
  // 0 * (1/0). Both are kept out: the valid negative's mean -12/4 = -3, the masked one 0.
  auto in = multi_scores({-6.0}, {{-12.0, kNan}}, {3.0}, {{4.0, 0.0}});
  in.negative_mask = mask_of({{true, false}});
  in.negative_logps_sum.requires_grad_(true);
  const auto scores = pref::answer_scores(in, ScoreReduction::Average);
  EXPECT_EQ(value_at(scores.negatives, 0, 0), -3.0);
  EXPECT_EQ(value_at(scores.negatives, 0, 1), 0.0);
  scores.negatives.sum().backward();
  // d(-12 / 4) / d(-12) = 1/4; the masked entry gets 0.
  EXPECT_EQ(value_at(in.negative_logps_sum.grad(), 0, 0), 0.25);
  EXPECT_EQ(value_at(in.negative_logps_sum.grad(), 0, 1), 0.0);
}

TEST(AnswerScores, AlphapoRewardShape) {
  const at::Tensor scores = doubles_on_device({-2.0, -4.0, 0.0});
  // alpha = 0.5: exp(s)^(-0.5) = exp(-s / 2) -> r = (1 - e^1) / 0.5, (1 - e^2) / 0.5, 0
  const at::Tensor r = pref::alphapo_reward(scores, 0.5);
  EXPECT_NEAR(value_at(r, 0), 2 * (1 - std::exp(1.0)), 1e-12);
  EXPECT_NEAR(value_at(r, 1), 2 * (1 - std::exp(2.0)), 1e-12);
  EXPECT_EQ(value_at(r, 2), 0.0);
  // alpha = -1: r = (1 - exp(s)) / -1 = e^-2 - 1
  EXPECT_NEAR(value_at(pref::alphapo_reward(scores, -1.0), 0), std::exp(-2.0) - 1, 1e-12);
  EXPECT_TRUE(pref::alphapo_reward(scores, 0.0).equal(scores));
  // Masked negatives stay 0: r(0) = 0.
  const auto shaped = pref::alphapo_rewards(
      pref::answer_scores(multi_scores({-2.0, -2.0}, {{-4.0, -1.0}, {-4.0}}), ScoreReduction::Sum),
      0.5);
  EXPECT_EQ(value_at(shaped.negatives, 1, 1), 0.0);
  EXPECT_NEAR(value_at(shaped.negatives, 0, 0), 2 * (1 - std::exp(2.0)), 1e-12);
}

TEST(AnswerScores, AlphapoRewardOfLongAnswerStaysFinite) {
  // A 2000-token answer: exp(-2000) underflows to 0 in float32, and TRL's 0^(-alpha) would be
  // infinite. r = (1 - e^(0.01 * 2000)) / 0.01 = (1 - e^20) * 100.
  const at::Tensor r = pref::alphapo_reward(doubles_on_device({-2000.0}).to(at::kFloat), 0.01);
  EXPECT_NEAR(value_at(r, 0), (1 - std::exp(20.0)) * 100, 1e-6 * std::exp(20.0) * 100);
}

TEST(AnswerScores, BadShapesAreErrorsNamingTheTensor) {
  EXPECT_EQ(error_of(multi_scores({-1.0, -2.0}, {{-3.0, -4.0}, {-5.0}})), "");
  auto in = multi_scores({-1.0, -2.0}, {{-3.0}, {-4.0}});
  in.negative_mask = mask_of({{true}, {false}});
  EXPECT_NE(error_of(in).find("an example has no negative"), std::string::npos) << error_of(in);
  in = multi_scores({-1.0, -2.0}, {{-3.0}, {-4.0}});
  in.negative_tokens = doubles_on_device({1.0, 1.0});
  EXPECT_NE(error_of(in).find("negative_tokens has shape [2], expected [2, 1]"), std::string::npos)
      << error_of(in);
  in = multi_scores({-1.0, -2.0}, {{-3.0}, {-4.0}});
  in.negative_mask = in.negative_mask.to(at::kFloat);
  EXPECT_NE(error_of(in).find("must be bool"), std::string::npos) << error_of(in);
  in = multi_scores({-1.0, -2.0}, {{-3.0}, {-4.0}});
  in.reference_chosen_logps_sum = doubles_on_device({-1.0, -2.0});
  EXPECT_NE(error_of(in).find("only one of"), std::string::npos) << error_of(in);
  in = multi_scores({-1.0, -2.0}, {{-3.0}, {-4.0}});
  in.chosen_tokens = at::Tensor();
  EXPECT_NE(error_of(in).find("chosen_tokens has shape (missing)"), std::string::npos)
      << error_of(in);
}

TEST(AnswerScores, OneNegativeScoresArePairs) {
  const auto in = pref::one_negative_scores(
      doubles_on_device({-1.0, -2.0}), doubles_on_device({1, 2}), doubles_on_device({-3.0, -4.0}),
      doubles_on_device({3.0, 4.0}), at::Tensor());
  EXPECT_EQ(in.negative_logps_sum.sizes(), (at::IntArrayRef{2, 1}));
  EXPECT_EQ(value_at(in.negative_tokens, 1, 0), 4.0);
  EXPECT_TRUE(in.negative_mask.all().item<bool>());
  EXPECT_EQ(error_of(in), "");
}

TEST(MultiNegative, PairwiseLogitsTakeTheMarginOff) {
  // chosen -1, negatives -3 and -2: d = [2, 1]. beta 0.5: [1, 0.5]; with gamma / beta = 1:
  // 0.5 * ([2, 1] - 1) = [0.5, 0].
  const auto scores =
      pref::answer_scores(multi_scores({-1.0}, {{-3.0, -2.0}}), ScoreReduction::Sum);
  const at::Tensor plain = pref::pairwise_logits(scores, 0.5, 0.0);
  EXPECT_EQ(value_at(plain, 0, 0), 1.0);
  EXPECT_EQ(value_at(plain, 0, 1), 0.5);
  const at::Tensor with_margin = pref::pairwise_logits(scores, 0.5, 1.0);
  EXPECT_EQ(value_at(with_margin, 0, 0), 0.5);
  EXPECT_EQ(value_at(with_margin, 0, 1), 0.0);
  EXPECT_EQ(value_at(pref::pairwise_differences(scores), 0, 0), 2.0);
}

TEST(MultiNegative, SmoothedSigmoidLosses) {
  const at::Tensor z = doubles_on_device({1.0, 0.0});
  // eps 0: -log sigmoid(1) = log(1 + e^-1); -log sigmoid(0) = log 2
  const at::Tensor plain = pref::smoothed_sigmoid_losses(z, 0.0);
  EXPECT_NEAR(value_at(plain, 0), softplus_neg(1.0), 1e-12);
  EXPECT_NEAR(value_at(plain, 1), std::log(2.0), 1e-12);
  // eps 0.1: 0.9 log(1 + e^-1) + 0.1 log(1 + e) = log(1 + e^-1) + 0.1, since
  // log(1 + e) - log(1 + e^-1) = 1; and log 2 at z = 0.
  const at::Tensor smoothed = pref::smoothed_sigmoid_losses(z, 0.1);
  EXPECT_NEAR(value_at(smoothed, 0), softplus_neg(1.0) + 0.1, 1e-12);
  EXPECT_NEAR(value_at(smoothed, 1), std::log(2.0), 1e-12);
  // An infinite z without smoothing: 0, no NaN.
  EXPECT_EQ(value_at(pref::smoothed_sigmoid_losses(doubles_on_device({kInf}), 0.0), 0), 0.0);
}

TEST(MultiNegative, MeanOverValidNegativesOnly) {
  // [1, 3, NaN] with the NaN masked: (1 + 3) / 2 = 2; [5, inf, NaN] with one valid: 5.
  const at::Tensor values =
      doubles_on_device({1.0, 3.0, kNan, 5.0, kInf, kNan}).reshape({2, 3}).requires_grad_(true);
  const at::Tensor mask = mask_of({{true, true, false}, {true, false, false}});
  const at::Tensor mean = pref::mean_over_negatives(values, mask);
  EXPECT_EQ(value_at(mean, 0), 2.0);
  EXPECT_EQ(value_at(mean, 1), 5.0);
  // Masked entries get no gradient (not NaN): d mean_0 / d v_00 = 1/2.
  mean.sum().backward();
  EXPECT_EQ(value_at(values.grad(), 0, 0), 0.5);
  EXPECT_EQ(value_at(values.grad(), 0, 2), 0.0);
  EXPECT_EQ(value_at(values.grad(), 1, 1), 0.0);
}

TEST(MultiNegative, SoftmaxLossByHand) {
  // z = [ln 2, ln 4]: logits 0, -ln 2, -ln 4 -> weights 1, 1/2, 1/4, sum 7/4:
  // p = [4/7, 2/7, 1/7]; L = -log p0 = log(7/4).
  const at::Tensor z = doubles_on_device({std::log(2.0), std::log(4.0)}).reshape({1, 2});
  const at::Tensor all = mask_of({{true, true}});
  EXPECT_NEAR(value_at(pref::softmax_losses(z, all, 1.0, 0.0), 0), std::log(7.0 / 4), 1e-12);
  // eps 0.1: 0.9 log(7/4) - (0.1 / 2) (log(2/7) + log(1/7)).
  EXPECT_NEAR(value_at(pref::softmax_losses(z, all, 1.0, 0.1), 0),
              0.9 * std::log(7.0 / 4) - 0.05 * (std::log(2.0 / 7) + std::log(1.0 / 7)), 1e-12);
  // tau 0.5 doubles the logits: weights 1, 1/4, 1/16, sum 21/16: L = log(21/16).
  EXPECT_NEAR(value_at(pref::softmax_losses(z, all, 0.5, 0.0), 0), std::log(21.0 / 16), 1e-12);
  // The second negative masked (its z is ignored): weights 1, 1/2: L = log(3/2); with eps 0.1,
  // 0.9 log(3/2) - 0.1 log(1/3) (K_i = 1).
  const at::Tensor first = mask_of({{true, false}});
  EXPECT_NEAR(value_at(pref::softmax_losses(z, first, 1.0, 0.0), 0), std::log(1.5), 1e-12);
  EXPECT_NEAR(value_at(pref::softmax_losses(z, first, 1.0, 0.1), 0),
              0.9 * std::log(1.5) - 0.1 * std::log(1.0 / 3), 1e-12);
}

TEST(MultiNegative, SoftmaxOfOneNegativeIsTheSigmoidLoss) {
  // softmax(0, -z) gives p0 = sigmoid(z): the same loss as pairwise, also where log(1 + e^-z)
  // would round e^-z away (z = 40: e^-40 = 4.2e-18).
  const at::Tensor z = doubles_on_device({-30.0, -1.0, 0.0, 2.0, 40.0}).reshape({5, 1});
  const at::Tensor mask = mask_of({{true}, {true}, {true}, {true}, {true}});
  for (double eps : {0.0, 0.1}) {
    for (const auto dtype : {at::kDouble, at::kFloat}) {
      const at::Tensor zd = z.to(dtype);
      const at::Tensor softmax = pref::softmax_losses(zd, mask, 1.0, eps);
      const at::Tensor pairwise = pref::smoothed_sigmoid_losses(zd, eps).squeeze(1);
      EXPECT_EQ(softmax.scalar_type(), dtype);
      for (int64_t i = 0; i < 5; ++i) {
        const double expected = value_at(pairwise, i);
        EXPECT_NEAR(value_at(softmax, i), expected, 1e-6 * std::abs(expected) + 1e-300)
            << "z = " << value_at(z, i, 0) << " eps " << eps;
      }
    }
  }
  EXPECT_GT(value_at(pref::softmax_losses(z.to(at::kFloat), mask, 1.0, 0.0), 4), 0.0);
}

TEST(MultiNegative, SoftmaxGradientsAreFiniteWithMaskedEntries) {
  const at::Tensor z =
      doubles_on_device({1.0, 1e30, -2.0, 0.5}).reshape({2, 2}).requires_grad_(true);
  const at::Tensor mask = mask_of({{true, false}, {true, true}});
  pref::softmax_losses(z, mask, 0.5, 0.1).sum().backward();
  EXPECT_TRUE(at::isfinite(z.grad()).all().item<bool>()) << z.grad();
  EXPECT_EQ(value_at(z.grad(), 0, 1), 0.0);
}

TEST(LossAssembly, WeightsAndTheNllTerm) {
  const at::Tensor losses = doubles_on_device({1.0, 3.0});
  const at::Tensor nan = doubles_on_device({kNan}).reshape({});
  // mean(1, 3) = 2; 0 * NaN would be NaN, but the term is left out.
  EXPECT_EQ(pref::weighted_loss(losses, {1.0, 0.0}, nan).item<double>(), 2.0);
  EXPECT_EQ(pref::weighted_loss(losses, {1.0, 0.0}, at::Tensor()).item<double>(), 2.0);
  // 2 + 0.5 * 4 = 4; 0.75 * 2 + 0.5 * 4 = 3.5
  const at::Tensor nll = doubles_on_device({4.0}).reshape({});
  EXPECT_EQ(pref::weighted_loss(losses, {1.0, 0.5}, nll).item<double>(), 4.0);
  EXPECT_EQ(pref::weighted_loss(losses, {0.75, 0.5}, nll).item<double>(), 3.5);
  EXPECT_THROW(pref::weighted_loss(losses, {1.0, 1.0}, at::Tensor()), wizard::Error);
}

TEST(LossAssembly, ReportsScoresRewardsAndMaskDetached) {
  auto in = multi_scores({-1.0, -2.0}, {{-3.0, -5.0}, {-4.0}}, {}, {}, 2.0);
  in.chosen_logps_sum.requires_grad_(true);
  const auto scores = pref::answer_scores(in, ScoreReduction::Sum);
  const auto rewards = pref::alphapo_rewards(scores, 0.0);
  const at::Tensor losses = pref::mean_over_negatives(
      pref::smoothed_sigmoid_losses(pref::pairwise_logits(rewards, 0.5, 0.0), 0.0), rewards.mask);
  const auto out = pref::assemble_preference_loss(scores, rewards, losses, 0.5, {}, in.nll_loss);
  // rewards = 0.5 * scores: chosen [-0.5, -1], negatives [[-1.5, -2.5], [-2, 0 (masked)]]
  EXPECT_EQ(value_at(out.chosen_rewards, 1), -1.0);
  EXPECT_EQ(value_at(out.negative_rewards, 0, 1), -2.5);
  EXPECT_EQ(value_at(out.negative_rewards, 1, 1), 0.0);
  EXPECT_EQ(value_at(out.negative_logps, 0, 1), -5.0);
  EXPECT_TRUE(out.negative_mask.equal(in.negative_mask));
  // z = 0.5 * d: example 0 [1, 2], example 1 [1]:
  // loss = mean(mean(log(1+e^-1), log(1+e^-2)), log(1+e^-1)) + 1 * 2
  const double l0 = (softplus_neg(1.0) + softplus_neg(2.0)) / 2;
  EXPECT_NEAR(out.loss.item<double>(), (l0 + softplus_neg(1.0)) / 2 + 2, 1e-12);
  EXPECT_EQ(out.nll_loss.item<double>(), 2.0);
  EXPECT_TRUE(out.loss.requires_grad());
  EXPECT_FALSE(out.chosen_rewards.requires_grad());
  EXPECT_FALSE(out.chosen_logps.requires_grad());
  // Without the NLL term the loss reports none.
  EXPECT_FALSE(pref::assemble_preference_loss(scores, rewards, losses, 0.5, {1.0, 0.0}, in.nll_loss)
                   .nll_loss.defined());
}
