// TRL's CPO metrics and their multi-negative meaning (wizard/preference/metrics.hpp) on
// hand-made inputs on the test device.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <map>

#include "preference_test_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/preference/metrics.hpp"

namespace pref = wizard::preference;
using wizard::test::doubles_on_device;

namespace {

at::Tensor floats(const std::vector<double>& values) {
  return doubles_on_device(values).to(at::kFloat);
}

// Two pairs (K = 1).
wizard::PreferenceLoss two_pairs() {
  wizard::PreferenceLoss loss;
  loss.loss = floats({2.5}).reshape({});
  loss.losses = floats({1.0, 2.0});
  loss.chosen_logps = floats({-10.0, -30.0});
  loss.negative_logps = floats({-20.0, -20.0}).reshape({2, 1});
  loss.chosen_rewards = loss.chosen_logps * 0.5;      // [-5, -15]
  loss.negative_rewards = loss.negative_logps * 0.5;  // [-10, -10]
  loss.negative_mask = at::ones({2, 1}, loss.loss.options().dtype(at::kBool));
  return loss;
}

// Two examples with up to three negatives: example 0 has three, example 1 one (two masked).
wizard::PreferenceLoss three_negatives() {
  wizard::PreferenceLoss loss;
  loss.loss = floats({1.0}).reshape({});
  loss.losses = floats({1.0, 1.0});
  loss.chosen_logps = floats({-2.0, -6.0});
  loss.negative_logps = floats({-4.0, -1.0, -6.0, -3.0, 0.0, 0.0}).reshape({2, 3});
  loss.negative_mask = doubles_on_device({1, 1, 1, 1, 0, 0}).reshape({2, 3}).to(at::kBool);
  loss.chosen_rewards = loss.chosen_logps;      // beta 1: [-2, -6]
  loss.negative_rewards = loss.negative_logps;  // [[-4, -1, -6], [-3, (0), (0)]]
  return loss;
}

pref::CompletionLogitSums logit_sums() {
  return {doubles_on_device({6.0}).reshape({}), doubles_on_device({4.0}).reshape({}),
          doubles_on_device({-3.0}).reshape({}), doubles_on_device({2.0}).reshape({})};
}

std::map<std::string, double> as_map(const pref::NamedMetrics& metrics) {
  return {metrics.begin(), metrics.end()};
}

}  // namespace

TEST(PreferenceMetrics, TrlNamesAndValues) {
  auto loss = two_pairs();
  loss.nll_loss = floats({1.25}).reshape({});
  const auto metrics =
      as_map(pref::preference_metrics(loss, logit_sums(), pref::MetricSplit::Train));
  ASSERT_EQ(metrics.size(), 11u);
  EXPECT_EQ(metrics.at("rewards/chosen"), -10.0);        // (-5 - 15) / 2
  EXPECT_EQ(metrics.at("rewards/rejected"), -10.0);      // (-10 - 10) / 2
  EXPECT_EQ(metrics.at("rewards/accuracies"), 0.5);      // -5 > -10 only
  EXPECT_EQ(metrics.at("rewards/accuracies_all"), 0.5);  // the same with one negative
  EXPECT_EQ(metrics.at("rewards/margins"), 0.0);         // (5 + -5) / 2
  EXPECT_EQ(metrics.at("logps/chosen"), -20.0);
  EXPECT_EQ(metrics.at("logps/rejected"), -20.0);
  EXPECT_EQ(metrics.at("logits/chosen"), 1.5);     // 6 / 4
  EXPECT_EQ(metrics.at("logits/rejected"), -1.5);  // -3 / 2
  EXPECT_EQ(metrics.at("nll_loss"), 1.25);
  EXPECT_EQ(metrics.at("loss"), 2.5);
}

TEST(PreferenceMetrics, SeveralNegativesPerExample) {
  const auto metrics =
      as_map(pref::preference_metrics(three_negatives(), logit_sums(), pref::MetricSplit::Train));
  // Example 0: chosen -2 against -4, -1, -6 (beats two of three); example 1: -6 against -3.
  EXPECT_EQ(metrics.at("rewards/chosen"), -4.0);  // (-2 - 6) / 2
  // Per-example means of the valid negatives: (-4 - 1 - 6) / 3 = -11/3 and -3.
  EXPECT_NEAR(metrics.at("rewards/rejected"), (-11.0 / 3 - 3) / 2, 1e-6);
  // Margins: (-2 - -11/3) = 5/3 and (-6 - -3) = -3: mean -2/3.
  EXPECT_NEAR(metrics.at("rewards/margins"), (5.0 / 3 - 3) / 2, 1e-6);
  EXPECT_EQ(metrics.at("rewards/accuracies"), 0.5);      // 2 of the 4 valid pairs
  EXPECT_EQ(metrics.at("rewards/accuracies_all"), 0.0);  // no example beats all its negatives
  EXPECT_EQ(metrics.at("logps/chosen"), -4.0);
  EXPECT_EQ(metrics.at("logps/rejected"), -3.5);  // (-4 - 1 - 6 - 3) / 4: masked entries left out
  EXPECT_EQ(metrics.at("nll_loss"), 0.0);         // unused: logged as 0, as TRL
}

TEST(PreferenceMetrics, AccuraciesAllCountsExamplesBeatingEveryNegative) {
  auto loss = three_negatives();
  loss.chosen_rewards = floats({0.0, -6.0});  // example 0 now beats -4, -1 and -6
  const auto metrics =
      as_map(pref::preference_metrics(loss, logit_sums(), pref::MetricSplit::Train));
  EXPECT_EQ(metrics.at("rewards/accuracies"), 0.75);     // 3 of 4 valid pairs
  EXPECT_EQ(metrics.at("rewards/accuracies_all"), 0.5);  // example 0 of 2
}

TEST(PreferenceMetrics, EvalPrefixTrlOrderAndExtraMetrics) {
  auto loss = two_pairs();
  loss.extra_metrics.emplace_back("focal/weight", floats({0.25}).reshape({}));
  const auto metrics = pref::preference_metrics(loss, logit_sums(), pref::MetricSplit::Eval);
  const auto& names = pref::preference_metric_names();
  ASSERT_EQ(metrics.size(), names.size() + 1);
  for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(metrics[i].first, "eval_" + names[i]);
  EXPECT_EQ(metrics.back().first, "eval_focal/weight");
  EXPECT_EQ(metrics.back().second, 0.25);
  // An NLL the loss did not use is logged as 0, as TRL does at cpo_alpha = 0.
  EXPECT_EQ(as_map(metrics).at("eval_nll_loss"), 0.0);
}

TEST(PreferenceMetrics, ValuesStayOnTheDeviceAsOneTensor) {
  const at::Tensor values = pref::preference_metric_values(two_pairs(), logit_sums());
  EXPECT_EQ(values.scalar_type(), at::kDouble);
  EXPECT_EQ(values.device(), two_pairs().loss.device());
  EXPECT_EQ(values.size(0), static_cast<int64_t>(pref::preference_metric_names().size()));
}

TEST(PreferenceMetrics, MissingOrMisshapenInputsAreErrors) {
  auto loss = two_pairs();
  loss.chosen_rewards = at::Tensor();
  EXPECT_THROW(pref::preference_metric_values(loss, logit_sums()), wizard::Error);
  EXPECT_THROW(pref::preference_metric_values(two_pairs(), {}), wizard::Error);
  loss = two_pairs();
  loss.negative_rewards = loss.negative_rewards.squeeze(1);  // [B] instead of [B, K]
  EXPECT_THROW(pref::preference_metric_values(loss, logit_sums()), wizard::Error);
  loss = two_pairs();
  loss.extra_metrics.emplace_back("per_example", floats({1.0, 2.0}));
  EXPECT_THROW(pref::preference_metric_values(loss, logit_sums()), wizard::Error);
}
