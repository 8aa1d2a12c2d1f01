// TRL's CPO metrics (wizard/preference/metrics.hpp) on hand-made inputs.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <map>

#include "wizard/base/error.hpp"
#include "wizard/preference/metrics.hpp"

namespace pref = wizard::preference;

namespace {

wizard::PreferenceLoss two_pairs() {
  wizard::PreferenceLoss loss;
  loss.loss = at::tensor(2.5, at::kFloat);
  loss.losses = at::tensor({1.0, 2.0}, at::kFloat);
  loss.chosen_logps = at::tensor({-10.0, -30.0}, at::kFloat);
  loss.rejected_logps = at::tensor({-20.0, -20.0}, at::kFloat);
  loss.chosen_rewards = loss.chosen_logps * 0.5;      // [-5, -15]
  loss.rejected_rewards = loss.rejected_logps * 0.5;  // [-10, -10]
  return loss;
}

pref::CompletionLogitSums logit_sums() {
  return {at::tensor(6.0, at::kDouble), at::tensor(4.0, at::kDouble), at::tensor(-3.0, at::kDouble),
          at::tensor(2.0, at::kDouble)};
}

std::map<std::string, double> as_map(const pref::NamedMetrics& metrics) {
  return {metrics.begin(), metrics.end()};
}

}  // namespace

TEST(PreferenceMetrics, TrlNamesAndValues) {
  const auto metrics = as_map(pref::preference_metrics(two_pairs(), at::tensor(1.25, at::kFloat),
                                                       logit_sums(), pref::MetricSplit::Train));
  ASSERT_EQ(metrics.size(), 10u);
  EXPECT_EQ(metrics.at("rewards/chosen"), -10.0);    // (-5 - 15) / 2
  EXPECT_EQ(metrics.at("rewards/rejected"), -10.0);  // (-10 - 10) / 2
  EXPECT_EQ(metrics.at("rewards/accuracies"), 0.5);  // -5 > -10 only
  EXPECT_EQ(metrics.at("rewards/margins"), 0.0);     // (5 + -5) / 2
  EXPECT_EQ(metrics.at("logps/chosen"), -20.0);
  EXPECT_EQ(metrics.at("logps/rejected"), -20.0);
  EXPECT_EQ(metrics.at("logits/chosen"), 1.5);     // 6 / 4
  EXPECT_EQ(metrics.at("logits/rejected"), -1.5);  // -3 / 2
  EXPECT_EQ(metrics.at("nll_loss"), 1.25);
  EXPECT_EQ(metrics.at("loss"), 2.5);
}

TEST(PreferenceMetrics, EvalPrefixAndTrlOrder) {
  const auto metrics =
      pref::preference_metrics(two_pairs(), at::Tensor(), logit_sums(), pref::MetricSplit::Eval);
  const auto& names = pref::preference_metric_names();
  ASSERT_EQ(metrics.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(metrics[i].first, "eval_" + names[i]);
  // An NLL the loss did not use is logged as 0, as TRL does at cpo_alpha = 0.
  EXPECT_EQ(as_map(metrics).at("eval_nll_loss"), 0.0);
}

TEST(PreferenceMetrics, ValuesStayOnTheDeviceAsOneTensor) {
  const at::Tensor values = pref::preference_metric_values(two_pairs(), at::Tensor(), logit_sums());
  EXPECT_EQ(values.scalar_type(), at::kDouble);
  EXPECT_EQ(values.size(0), static_cast<int64_t>(pref::preference_metric_names().size()));
}

TEST(PreferenceMetrics, MissingInputsAreErrors) {
  auto loss = two_pairs();
  loss.chosen_rewards = at::Tensor();
  EXPECT_THROW(pref::preference_metric_values(loss, at::Tensor(), logit_sums()), wizard::Error);
  EXPECT_THROW(pref::preference_metric_values(two_pairs(), at::Tensor(), {}), wizard::Error);
}
