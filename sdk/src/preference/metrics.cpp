#include "wizard/preference/metrics.hpp"

#include <ATen/ATen.h>
#include <spdlog/fmt/fmt.h>

#include "wizard/base/error.hpp"

namespace wizard::preference {

namespace {

void require(const at::Tensor& tensor, const char* name) {
  if (!tensor.defined()) {
    throw Error(
        fmt::format("preference metrics: {} is missing; the loss and the recipe must "
                    "provide it",
                    name));
  }
}

at::Tensor mean_of(const at::Tensor& sum, const at::Tensor& count) {
  return sum.to(at::kDouble) / count.to(at::kDouble);
}

}  // namespace

const std::vector<std::string>& preference_metric_names() {
  static const std::vector<std::string> names{"rewards/chosen",     "rewards/rejected",
                                              "rewards/accuracies", "rewards/margins",
                                              "logps/rejected",     "logps/chosen",
                                              "logits/rejected",    "logits/chosen",
                                              "nll_loss",           "loss"};
  return names;
}

at::Tensor preference_metric_values(const PreferenceLoss& loss, const at::Tensor& nll_loss,
                                    const CompletionLogitSums& logits) {
  require(loss.loss, "PreferenceLoss.loss");
  require(loss.chosen_rewards, "PreferenceLoss.chosen_rewards");
  require(loss.rejected_rewards, "PreferenceLoss.rejected_rewards");
  require(loss.chosen_logps, "PreferenceLoss.chosen_logps");
  require(loss.rejected_logps, "PreferenceLoss.rejected_logps");
  require(logits.chosen_sum, "CompletionLogitSums.chosen_sum");
  require(logits.chosen_count, "CompletionLogitSums.chosen_count");
  require(logits.rejected_sum, "CompletionLogitSums.rejected_sum");
  require(logits.rejected_count, "CompletionLogitSums.rejected_count");

  const at::Tensor& chosen = loss.chosen_rewards;
  const at::Tensor& rejected = loss.rejected_rewards;
  // In preference_metric_names() order; TRL takes each mean in the tensor's dtype.
  const at::Tensor values[] = {
      chosen.mean(),
      rejected.mean(),
      chosen.gt(rejected).to(at::kFloat).mean(),
      (chosen - rejected).mean(),
      loss.rejected_logps.mean(),
      loss.chosen_logps.mean(),
      mean_of(logits.rejected_sum, logits.rejected_count),
      mean_of(logits.chosen_sum, logits.chosen_count),
      nll_loss.defined() ? nll_loss : at::zeros({}, loss.loss.options()),
      loss.loss,
  };
  std::vector<at::Tensor> doubles;
  for (const at::Tensor& value : values) {
    doubles.push_back(value.detach().to(loss.loss.device(), at::kDouble).reshape({}));
  }
  return at::stack(doubles);
}

NamedMetrics preference_metrics(const PreferenceLoss& loss, const at::Tensor& nll_loss,
                                const CompletionLogitSums& logits, MetricSplit split) {
  const at::Tensor values = preference_metric_values(loss, nll_loss, logits).to(at::kCPU);
  const auto read = values.accessor<double, 1>();
  const std::string prefix = split == MetricSplit::Eval ? "eval_" : "";
  NamedMetrics named;
  const std::vector<std::string>& names = preference_metric_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    named.emplace_back(prefix + names[i], read[static_cast<int64_t>(i)]);
  }
  return named;
}

}  // namespace wizard::preference
