// transformers' logits processors and warpers on hand-made scores, with the expected values
// worked out in the comments.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "model/logits_processing.hpp"

namespace wizard::model {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

at::Tensor row(std::vector<float> values) {
  return at::tensor(values, at::kFloat).view({1, -1});
}

void expect_row(const at::Tensor& actual, std::vector<float> expected) {
  ASSERT_EQ(actual.numel(), static_cast<int64_t>(expected.size()));
  const at::Tensor a = actual.reshape({-1}).contiguous();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (std::isinf(expected[i])) {
      EXPECT_EQ(a[i].item<float>(), expected[i]) << "entry " << i;
    } else {
      EXPECT_NEAR(a[i].item<float>(), expected[i], 1e-6) << "entry " << i;
    }
  }
}

// Probabilities 0.5, 0.3, 0.15, 0.05 as logits.
at::Tensor four_tokens() {
  return row({std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)});
}

TEST(LogitsProcessing, RepetitionPenaltyDividesPositiveAndMultipliesNegativeSeenScores) {
  // penalty 2 on seen ids 0 and 1: 2 -> 1, -1 -> -2; unseen 0.5 and -3 stay.
  const at::Tensor seen = at::tensor(std::vector<uint8_t>{1, 1, 0, 0}).to(at::kBool).view({1, 4});
  expect_row(apply_repetition_penalty(row({2, -1, 0.5, -3}), seen, 2.0), {1, -2, 0.5, -3});
}

TEST(LogitsProcessing, ForbiddenTokensGetMinusInfinity) {
  expect_row(forbid_tokens(row({1, 2, 3}), {1}), {1, -kInf, 3});
  expect_row(forbid_tokens(row({1, 2, 3}), {}), {1, 2, 3});
}

TEST(LogitsProcessing, TemperatureDividesTheScores) {
  GenerationConfig config;
  config.top_k = 0;
  config.temperature = 2.0;
  expect_row(warp_for_sampling(row({2, 4}), config), {1, 2});
}

TEST(LogitsProcessing, TopKKeepsTheKLargest) {
  GenerationConfig config;
  config.top_k = 2;
  expect_row(warp_for_sampling(row({1, 3, 2, 0}), config), {-kInf, 3, 2, -kInf});
}

TEST(LogitsProcessing, TopPKeepsTheSmallestSetAboveP) {
  // Ascending probabilities 0.05, 0.15, 0.3, 0.5 have cumulative sums 0.05, 0.2, 0.5, 1.0;
  // those <= 1 - 0.7 = 0.3 go: 0.05 and 0.15. 0.5 + 0.3 = 0.8 covers top_p.
  GenerationConfig config;
  config.top_k = 0;
  config.top_p = 0.7;
  const at::Tensor scores = four_tokens();
  expect_row(warp_for_sampling(scores, config), {std::log(0.5f), std::log(0.3f), -kInf, -kInf});
  // top_p below the largest probability still keeps that one token.
  config.top_p = 0.1;
  expect_row(warp_for_sampling(scores, config), {std::log(0.5f), -kInf, -kInf, -kInf});
}

TEST(LogitsProcessing, MinPDropsTokensLessLikelyThanMinPTimesTheBest) {
  // Threshold 0.4 * 0.5 = 0.2: 0.5 and 0.3 stay, 0.15 and 0.05 go.
  GenerationConfig config;
  config.top_k = 0;
  config.min_p = 0.4;
  expect_row(warp_for_sampling(four_tokens(), config),
             {std::log(0.5f), std::log(0.3f), -kInf, -kInf});
}

TEST(LogitsProcessing, GreedyTakesTheArgmaxAndSamplingOnlyDrawsKeptTokens) {
  const at::Tensor scores = at::tensor(std::vector<float>{0, 5, 1, -kInf, 2, -kInf}).view({2, 3});
  expect_row(choose_tokens(scores, false, std::nullopt).to(at::kFloat), {1, 1});
  at::Generator generator = at::globalContext().defaultGenerator(at::kCPU).clone();
  generator.set_current_seed(7);
  for (int draw = 0; draw < 50; ++draw) {
    const at::Tensor chosen = choose_tokens(scores, true, generator);
    EXPECT_NE(chosen[1].item<int64_t>(), 0);  // the second row's -inf scores are never drawn
    EXPECT_NE(chosen[1].item<int64_t>(), 2);
  }
}

}  // namespace
}  // namespace wizard::model
