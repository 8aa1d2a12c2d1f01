// How many optimizer steps and epochs a run takes, computed as transformers' Trainer does
// (set_initial_training_values and TrainerState.compute_steps):
//
//   update_steps_per_epoch = max(ceil(micro_batches_per_epoch / gradient_accumulation_steps), 1)
//   max_steps  > 0: max_steps as given; epochs = ceil(max_steps / update_steps_per_epoch)
//   otherwise:      max_steps = ceil(num_train_epochs * update_steps_per_epoch);
//                   epochs = ceil(num_train_epochs)
//
// An epoch ends with an optimizer step on its last, possibly partial, accumulation window,
// so the ceiling matches the steps actually taken (transformers PR #37923, May 2025; 4.51
// floored here while still stepping on the partial window, and so stopped early).
// logging/eval/save steps below 1 are fractions of max_steps: ceil(max_steps * fraction).
#pragma once

#include <cstdint>

#include "wizard/base/export.hpp"
#include "wizard/train/training_args.hpp"

namespace wizard::train {

struct WIZARD_API TrainingPlan {
  int64_t micro_batches_per_epoch = 0;
  int64_t update_steps_per_epoch = 0;
  int64_t max_steps = 0;
  int64_t num_epochs = 0;
  int64_t warmup_steps = 0;
  int64_t logging_steps = 0;  // absolute step intervals (0: not used)
  int64_t eval_steps = 0;
  int64_t save_steps = 0;

  // Throws wizard::Error when there are no micro-batches.
  static TrainingPlan make(const TrainingArguments& args, int64_t micro_batches_per_epoch);
};

}  // namespace wizard::train
