// The metrics TRL's CPOTrainer.get_batch_loss_metrics logs for one batch,
// under TRL's names, from a PreferenceLoss, the NLL and the logit sums.
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
struct CompletionLogitSums {
  at::Tensor chosen_sum;      // scalar
  at::Tensor chosen_count;    // scalar: scored positions x vocabulary size
  at::Tensor rejected_sum;    // scalar
  at::Tensor rejected_count;  // scalar
};

enum class MetricSplit { Train, Eval };  // TRL's train_eval; eval adds the prefix "eval_"

// TRL's metric names in TRL's order, then "loss" (what the HF Trainer logs as
// loss / eval_loss): rewards/chosen, rewards/rejected, rewards/accuracies,
// rewards/margins, logps/rejected, logps/chosen, logits/rejected,
// logits/chosen, nll_loss, loss.
WIZARD_API const std::vector<std::string>& preference_metric_names();

// The values in preference_metric_names() order as one float64 tensor on the
// loss's device, so a trainer reads them with one copy. Means are taken in the
// inputs' dtype as TRL does. `nll_loss` is the NLL as TRL logs it: pass an
// undefined tensor when the loss did not use it (cpo_alpha = 0), logged as 0.
WIZARD_API at::Tensor preference_metric_values(const PreferenceLoss& loss,
                                               const at::Tensor& nll_loss,
                                               const CompletionLogitSums& logits);

using NamedMetrics = std::vector<std::pair<std::string, double>>;

// The same, named, with TRL's prefix for `split`.
WIZARD_API NamedMetrics preference_metrics(const PreferenceLoss& loss, const at::Tensor& nll_loss,
                                           const CompletionLogitSums& logits, MetricSplit split);

}  // namespace wizard::preference
