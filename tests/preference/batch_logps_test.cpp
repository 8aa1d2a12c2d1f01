// TRL's log-prob path (wizard/preference/batch_logps.hpp) on a batch small
// enough to compute by hand.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>

#include "wizard/base/error.hpp"
#include "wizard/preference/batch_logps.hpp"

namespace pref = wizard::preference;

namespace {

// One pair, T = 3, V = 2. Position t predicts label t+1.
//   chosen   labels [-100, 1, 0]: t0 logits [0, 0] -> log p(1) = -log 2
//                                 t1 logits [log 3, 0] -> log p(0) = log 3/4
//   rejected labels [-100, -100, 1]: t1 logits [0, log 3] -> log p(1) = log 3/4
// The last position predicts nothing; its logits must not matter.
struct TinyBatch {
  at::Tensor logits;
  at::Tensor labels;
};

TinyBatch tiny_batch(at::ScalarType dtype) {
  const double log3 = std::log(3.0);
  const at::Tensor logits = at::tensor({0.0, 0.0, log3, 0.0, 50.0, -50.0,   // chosen
                                        1.0, 1.0, 0.0, log3, -50.0, 50.0},  // rejected
                                       at::kDouble)
                                .reshape({2, 3, 2})
                                .to(dtype);
  const at::Tensor labels = at::tensor({-100, 1, 0, -100, -100, 1}, at::kLong).reshape({2, 3});
  return {logits, labels};
}

const double kChosenSum = std::log(0.5) + std::log(0.75);  // log 3/8
const double kRejectedSum = std::log(0.75);

}  // namespace

TEST(BatchLogps, SumsAveragesAndCounts) {
  for (const auto dtype : {at::kDouble, at::kFloat}) {
    SCOPED_TRACE(c10::toString(dtype));
    const double tolerance = dtype == at::kDouble ? 1e-12 : 1e-6;
    const auto batch = tiny_batch(dtype);
    const at::Tensor sums = pref::get_batch_logps(batch.logits, batch.labels, false);
    EXPECT_EQ(sums.scalar_type(), dtype);
    EXPECT_NEAR(sums[0].item<double>(), kChosenSum, tolerance);
    EXPECT_NEAR(sums[1].item<double>(), kRejectedSum, tolerance);
    const at::Tensor averages = pref::get_batch_logps(batch.logits, batch.labels, true);
    EXPECT_NEAR(averages[0].item<double>(), kChosenSum / 2, tolerance);
    EXPECT_NEAR(averages[1].item<double>(), kRejectedSum / 1, tolerance);
    const at::Tensor counts = pref::scored_token_counts(batch.labels);
    EXPECT_EQ(counts[0].item<double>(), 2.0);
    EXPECT_EQ(counts[1].item<double>(), 1.0);
  }
}

TEST(BatchLogps, Bfloat16UsesLogSoftmax) {
  const auto batch = tiny_batch(at::kBFloat16);
  const at::Tensor sums = pref::get_batch_logps(batch.logits, batch.labels, false);
  EXPECT_EQ(sums.scalar_type(), at::kBFloat16);
  EXPECT_NEAR(sums[0].item<double>(), kChosenSum, 1e-2);
  EXPECT_NEAR(sums[1].item<double>(), kRejectedSum, 1e-2);
}

TEST(BatchLogps, SelectiveLogSoftmaxIsLogSoftmaxThenGather) {
  const at::Tensor logits = at::randn({3, 5, 17}, at::kFloat) * 4;
  const at::Tensor index = at::randint(17, {3, 5}, at::kLong);
  const at::Tensor naive = at::log_softmax(logits, -1).gather(-1, index.unsqueeze(-1)).squeeze(-1);
  EXPECT_TRUE(at::allclose(pref::selective_log_softmax(logits, index), naive, 1e-5, 1e-6));
}

TEST(BatchLogps, ChosenNllIsTokenMeanOverChosenRows) {
  // -(log 1/2 + log 3/4) / 2 tokens
  const auto batch = tiny_batch(at::kDouble);
  const at::Tensor nll = pref::chosen_nll_loss(batch.logits, batch.labels, 1);
  EXPECT_NEAR(nll.item<double>(), -kChosenSum / 2, 1e-12);
}

TEST(BatchLogps, ConcatenatedPreferenceScores) {
  const auto batch = tiny_batch(at::kDouble);
  const auto scores = pref::concatenated_preference_scores(batch.logits, batch.labels);
  EXPECT_NEAR(scores.chosen_logps_sum[0].item<double>(), kChosenSum, 1e-12);
  EXPECT_NEAR(scores.negative_logps_sum[0][0].item<double>(), kRejectedSum, 1e-12);
  EXPECT_EQ(scores.chosen_tokens[0].item<double>(), 2.0);
  EXPECT_EQ(scores.negative_tokens[0][0].item<double>(), 1.0);
  EXPECT_TRUE(scores.negative_mask[0][0].item<bool>());
  EXPECT_NEAR(scores.nll_loss.item<double>(), -kChosenSum / 2, 1e-12);
}

TEST(BatchLogps, CompletionLogitSumsCoverScoredPositionsOnly) {
  // chosen: t0 [0, 0] and t1 [log 3, 0] -> sum log 3 over 2 positions x 2 = 4 logits
  // rejected: t1 [0, log 3] -> sum log 3 over 2 logits
  const auto batch = tiny_batch(at::kFloat);
  const auto sums = pref::completion_logit_sums(batch.logits, batch.labels);
  EXPECT_NEAR(sums.chosen_sum.item<double>(), std::log(3.0), 1e-6);
  EXPECT_EQ(sums.chosen_count.item<double>(), 4.0);
  EXPECT_NEAR(sums.rejected_sum.item<double>(), std::log(3.0), 1e-6);
  EXPECT_EQ(sums.rejected_count.item<double>(), 2.0);
}

TEST(BatchLogps, CustomLabelPadId) {
  auto batch = tiny_batch(at::kDouble);
  const at::Tensor labels = batch.labels.masked_fill(batch.labels.eq(-100), -1);
  const at::Tensor sums = pref::get_batch_logps(batch.logits, labels, false, -1);
  EXPECT_NEAR(sums[0].item<double>(), kChosenSum, 1e-12);
}

TEST(BatchLogps, ShapeErrors) {
  const auto batch = tiny_batch(at::kDouble);
  EXPECT_THROW(pref::get_batch_logps(batch.logits, batch.labels.slice(1, 0, 2), false),
               wizard::Error);
  EXPECT_THROW(pref::get_batch_logps(batch.logits[0], batch.labels, false), wizard::Error);
  EXPECT_THROW(pref::concatenated_preference_scores(batch.logits.slice(0, 0, 1),
                                                    batch.labels.slice(0, 0, 1)),
               wizard::Error);
}
