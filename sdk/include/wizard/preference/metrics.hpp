// The metrics TRL's CPOTrainer.get_batch_loss_metrics logs for one batch,
// under TRL's names, from a PreferenceLoss and the logit sums; with several negatives per
// example, their multi-negative meaning (below), which for K = 1 is TRL's.
//
// logits/chosen and logits/rejected differ from TRL on purpose: TRL averages
// the whole padded [B, T, V] logits tensor (prompt and padding included);
// wizard only has logits at completion positions, so it averages those (see
// CompletionLogitSums and docs/losses.md).
#pragma once

#include <ATen/Tensor.h>

#include <string>
#include <utility>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/plugin/loss.hpp"

namespace wizard::preference {

// Every logit (all vocabulary entries) at the completion positions of one
// batch: the positions whose next-token log-prob enters the log-prob sums,
// i.e. position t of a row where label t+1 is scored. mean = sum / count.
// `rejected` covers every negative answer's positions.
struct CompletionLogitSums {
  at::Tensor chosen_sum;      // scalar
  at::Tensor chosen_count;    // scalar: scored positions x vocabulary size
  at::Tensor rejected_sum;    // scalar
  at::Tensor rejected_count;  // scalar
};

enum class MetricSplit { Train, Eval };  // TRL's train_eval; eval adds the prefix "eval_"

// The standard metric names: TRL's in TRL's order with rewards/accuracies_all after
// rewards/accuracies, then "loss" (what the HF Trainer logs as loss / eval_loss):
//   rewards/chosen      mean over examples of the chosen reward
//   rewards/rejected    mean over examples of the mean reward of the example's valid negatives
//   rewards/accuracies  share of valid (example, negative) pairs whose chosen reward is higher
//   rewards/accuracies_all  share of examples whose chosen reward beats all its negatives
//   rewards/margins     mean over examples of chosen reward - the mean above
//   logps/rejected      mean over valid (example, negative) pairs of the negative's score
//   logps/chosen        mean over examples of the chosen score
//   logits/rejected, logits/chosen   CompletionLogitSums' means
//   nll_loss            PreferenceLoss.nll_loss; 0 when the loss did not use it (as TRL)
//   loss
// For K = 1 each is TRL's (accuracies_all = accuracies).
WIZARD_API const std::vector<std::string>& preference_metric_names();

// The standard values in preference_metric_names() order, then the loss's extra_metrics, as one
// float64 tensor on the loss's device, so a trainer reads them with one copy. Means are taken
// in the inputs' dtype as TRL does.
WIZARD_API at::Tensor preference_metric_values(const PreferenceLoss& loss,
                                               const CompletionLogitSums& logits);

using NamedMetrics = std::vector<std::pair<std::string, double>>;

// The same, named, with TRL's prefix for `split` (extra metrics get it too).
WIZARD_API NamedMetrics preference_metrics(const PreferenceLoss& loss,
                                           const CompletionLogitSums& logits, MetricSplit split);

}  // namespace wizard::preference
