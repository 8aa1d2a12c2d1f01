// Where a run is and what it has summed since the last log event: everything a checkpoint
// must carry, besides model and optimizer, for a resumed run to continue bit for bit.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "wizard/train/plan.hpp"
#include "wizard/train/training_args.hpp"

namespace wizard::train::detail {

// Sums since the last log event: HF's tr_loss and TRL's _stored_metrics["train"].
struct LogWindow {
  double loss_sum = 0;  // sum over micro-batches of loss / gradient_accumulation_steps
  std::map<std::string, double> metric_sums;
  std::map<std::string, int64_t> metric_counts;
  int64_t tokens = 0;
  double seconds = 0;  // time spent training (not evaluating or saving)

  void add(double scaled_loss, const std::map<std::string, double>& metrics, int64_t num_tokens);
  // Several micro-batches at once: their summed values (each metric summed over them).
  void add_sums(double scaled_loss_sum, const std::map<std::string, double>& metric_sums,
                int64_t micro_batches, int64_t num_tokens);
  void clear() { *this = LogWindow(); }
};

struct RunState {
  int64_t global_step = 0;
  double epoch = 0;              // fractional, as HF logs it
  int64_t epoch_index = 0;       // epoch of the next micro-batch to run
  int64_t next_micro_batch = 0;  // its index in the epoch (== the epoch's size: epoch end pending)
  LogWindow window;
  int64_t last_logged_step = 0;
  double total_loss_sum = 0;  // loss_sum of every logged window (HF's _total_loss_scalar)
  int64_t total_tokens = 0;
  int64_t total_samples = 0;
  std::optional<double> last_grad_norm;
  double last_learning_rate = 0;
  std::vector<nlohmann::json> log_history;
  std::optional<double> best_metric;
  std::optional<int64_t> best_global_step;
  std::optional<std::string> best_model_checkpoint;

  // HF's trainer_state.json (TrainerState.save_to_json's fields).
  nlohmann::json trainer_state(const TrainingPlan& plan, const TrainingArguments& args) const;
  // wizard_state.json: data position and sums, with `micro_batches_per_epoch` for a check.
  nlohmann::json wizard_state(const TrainingPlan& plan) const;
  // Restores both (log history and best metric from trainer_state.json).
  void restore(const nlohmann::json& trainer_state, const nlohmann::json& wizard_state);
};

}  // namespace wizard::train::detail
