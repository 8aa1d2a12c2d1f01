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

// chosen_* [B]; negative_* [B, K] like the mask (a loss plugin writing its own PreferenceLoss
// gets told here rather than by a broadcasting error).
void check_shapes(const PreferenceLoss& loss) {
  const at::Tensor& mask = loss.negative_mask;
  const bool ok = mask.dim() == 2 && loss.chosen_rewards.dim() == 1 &&
                  loss.chosen_rewards.size(0) == mask.size(0) &&
                  loss.chosen_logps.sizes() == loss.chosen_rewards.sizes() &&
                  loss.negative_rewards.sizes() == mask.sizes() &&
                  loss.negative_logps.sizes() == mask.sizes();
  if (ok) return;
  throw Error(fmt::format(
      "preference metrics: PreferenceLoss has chosen_rewards {}, chosen_logps {}, "
      "negative_rewards {}, negative_logps {} and negative_mask {}; chosen_* must be [B] and "
      "negative_* [B, K] like the mask (the one the loss was given)",
      c10::str(loss.chosen_rewards.sizes()), c10::str(loss.chosen_logps.sizes()),
      c10::str(loss.negative_rewards.sizes()), c10::str(loss.negative_logps.sizes()),
      c10::str(mask.sizes())));
}

}  // namespace

const std::vector<std::string>& preference_metric_names() {
  static const std::vector<std::string> names{"rewards/chosen",
                                              "rewards/rejected",
                                              "rewards/accuracies",
                                              "rewards/accuracies_all",
                                              "rewards/margins",
                                              "logps/rejected",
                                              "logps/chosen",
                                              "logits/rejected",
                                              "logits/chosen",
                                              "nll_loss",
                                              "loss"};
  return names;
}

at::Tensor preference_metric_values(const PreferenceLoss& loss, const CompletionLogitSums& logits) {
  require(loss.loss, "PreferenceLoss.loss");
  require(loss.chosen_rewards, "PreferenceLoss.chosen_rewards");
  require(loss.negative_rewards, "PreferenceLoss.negative_rewards");
  require(loss.negative_mask, "PreferenceLoss.negative_mask");
  require(loss.chosen_logps, "PreferenceLoss.chosen_logps");
  require(loss.negative_logps, "PreferenceLoss.negative_logps");
  require(logits.chosen_sum, "CompletionLogitSums.chosen_sum");
  require(logits.chosen_count, "CompletionLogitSums.chosen_count");
  require(logits.rejected_sum, "CompletionLogitSums.rejected_sum");
  require(logits.rejected_count, "CompletionLogitSums.rejected_count");

  const at::Tensor& mask = loss.negative_mask;
  check_shapes(loss);
  const at::Tensor invalid = mask.logical_not();
  const at::Tensor& chosen = loss.chosen_rewards;
  const at::Tensor negatives = loss.negative_rewards.masked_fill(invalid, 0);
  // Each example's mean over its valid negatives: for K = 1 the reward itself, exactly.
  const at::Tensor mean_negative = negatives.sum(1) / mask.sum(1).to(negatives.scalar_type());
  const at::Tensor beaten = chosen.unsqueeze(1).gt(loss.negative_rewards);  // [B, K]
  const at::Tensor valid_pairs = mask.sum().to(at::kFloat);
  // In preference_metric_names() order; TRL takes each mean in the tensor's dtype. logps/rejected
  // is a mean over valid pairs, summed in float64 (for K = 1 within a rounding of TRL's mean).
  const at::Tensor values[] = {
      chosen.mean(),
      mean_negative.mean(),
      beaten.logical_and(mask).sum().to(at::kFloat) / valid_pairs,
      beaten.logical_or(invalid).all(1).to(at::kFloat).mean(),
      (chosen - mean_negative).mean(),
      loss.negative_logps.masked_fill(invalid, 0).sum(at::kDouble) / valid_pairs,
      loss.chosen_logps.mean(),
      mean_of(logits.rejected_sum, logits.rejected_count),
      mean_of(logits.chosen_sum, logits.chosen_count),
      loss.nll_loss.defined() ? loss.nll_loss : at::zeros({}, loss.loss.options()),
      loss.loss,
  };
  std::vector<at::Tensor> doubles;
  for (const at::Tensor& value : values) {
    doubles.push_back(value.detach().to(loss.loss.device(), at::kDouble).reshape({}));
  }
  for (const auto& [name, value] : loss.extra_metrics) {
    if (!value.defined() || value.numel() != 1) {
      throw Error(fmt::format(
          "preference metrics: the loss's extra metric '{}' is {}; it must be one number (a "
          "0-dim tensor)",
          name, value.defined() ? "of shape " + c10::str(value.sizes()) : "missing"));
    }
    doubles.push_back(value.detach().to(loss.loss.device(), at::kDouble).reshape({}));
  }
  return at::stack(doubles);
}

NamedMetrics preference_metrics(const PreferenceLoss& loss, const CompletionLogitSums& logits,
                                MetricSplit split) {
  const at::Tensor values = preference_metric_values(loss, logits).to(at::kCPU);
  const auto read = values.accessor<double, 1>();
  const std::string prefix = split == MetricSplit::Eval ? "eval_" : "";
  std::vector<std::string> names = preference_metric_names();
  for (const auto& extra : loss.extra_metrics) names.push_back(extra.first);
  NamedMetrics named;
  for (std::size_t i = 0; i < names.size(); ++i) {
    named.emplace_back(prefix + names[i], read[static_cast<int64_t>(i)]);
  }
  return named;
}

}  // namespace wizard::preference
