#include "wizard/train/plan.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "wizard/base/error.hpp"

namespace wizard::train {

namespace {

// Counts far beyond any run, still far from int64's limit: derived counts are checked
// against it before they are converted, so none can overflow.
constexpr double kMaxCount = 1e15;

// For a, b > 0; (a + b - 1) / b would overflow for a near int64's limit.
int64_t ceil_div(int64_t a, int64_t b) {
  return a / b + (a % b != 0 ? 1 : 0);
}

int64_t checked_count(double value, const std::string& what) {
  if (!(value <= kMaxCount)) {
    throw ConfigError("training_args_spec: " + what + " would be " + std::to_string(value) +
                      " optimizer steps, more than wizard counts (1e15); lower "
                      "num_train_epochs or max_steps");
  }
  return static_cast<int64_t>(value);
}

// TrainerState.compute_steps: a fraction below 1 is a share of the total steps.
int64_t absolute_steps(double steps, int64_t max_steps) {
  if (!(steps > 0)) return 0;
  if (steps < 1) return static_cast<int64_t>(std::ceil(static_cast<double>(max_steps) * steps));
  return checked_count(steps, "an interval");
}

}  // namespace

TrainingPlan TrainingPlan::make(const TrainingArguments& args, int64_t micro_batches_per_epoch) {
  if (micro_batches_per_epoch <= 0) {
    throw Error(
        "the training set yields no micro-batches; check the dataset, its filters and "
        "per_device_train_batch_size (with dataloader_drop_last a set smaller than one batch is "
        "empty)");
  }
  TrainingPlan plan;
  plan.micro_batches_per_epoch = micro_batches_per_epoch;
  plan.update_steps_per_epoch =
      std::max<int64_t>(ceil_div(micro_batches_per_epoch, args.gradient_accumulation_steps), 1);
  if (args.max_steps > 0) {
    plan.max_steps = args.max_steps;
    plan.num_epochs = ceil_div(args.max_steps, plan.update_steps_per_epoch);
  } else {
    plan.max_steps = checked_count(
        std::ceil(args.num_train_epochs * static_cast<double>(plan.update_steps_per_epoch)),
        "num_train_epochs x steps per epoch");
    if (plan.max_steps < 1) {
      throw ConfigError("training_args_spec.num_train_epochs = " +
                        std::to_string(args.num_train_epochs) + " gives no optimizer step");
    }
    plan.num_epochs = static_cast<int64_t>(std::ceil(args.num_train_epochs));
  }
  plan.warmup_steps = args.warmup_steps_for(plan.max_steps);
  plan.logging_steps = absolute_steps(args.logging_steps, plan.max_steps);
  plan.eval_steps = args.eval_steps ? absolute_steps(*args.eval_steps, plan.max_steps) : 0;
  plan.save_steps = absolute_steps(args.save_steps, plan.max_steps);
  return plan;
}

}  // namespace wizard::train
