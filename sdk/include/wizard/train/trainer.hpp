// The training loop every recipe shares, with HF Trainer / TRL semantics. The recipe supplies
// what differs between methods (a TrainingTask); the trainer owns the loop:
//
//   for each epoch, for each micro-batch (from the task's pure function of the epoch):
//     result = compute(micro_batch)                      loss with its graph, metrics, tokens
//     (result.loss / gradient_accumulation_steps).backward()
//     every gradient_accumulation_steps micro-batches (and at the end of the epoch):
//       clip to max_grad_norm, AdamW step at the scheduled learning rate, zero the gradients
//       log / evaluate / save as the strategies say
//
// Logged values (metrics.jsonl, trainer_state.json's log_history, the console):
//   loss            mean over the logged steps of each step's summed micro-batch losses /
//   accumulation <metric>        TRL's store_metrics/log: mean over the logged micro-batches of
//   compute()'s metrics grad_norm       the pre-clip norm of the last step learning_rate   the rate
//   the last step used epoch           epoch + micro-batches done in it / micro-batches in it
//   tokens_per_second  tokens of the logged micro-batches / their training time
// Evaluation results get the "eval_" prefix and eval_runtime. A non-finite loss, metric or
// gradient norm stops the run with an error naming the step and the value; nothing is saved
// after it, so the last checkpoint stays the last good state. See docs/training.md.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "wizard/base/export.hpp"
#include "wizard/train/adamw.hpp"
#include "wizard/train/plan.hpp"
#include "wizard/train/progress.hpp"
#include "wizard/train/training_args.hpp"

namespace wizard::train {

// Indices of the examples of one micro-batch (what the recipe's sampler produced).
using MicroBatch = std::vector<int64_t>;

// What compute() returns for one micro-batch.
struct WIZARD_API StepResult {
  at::Tensor loss;                        // scalar, with its autograd graph
  std::map<std::string, double> metrics;  // TRL names, already averaged over the micro-batch
  int64_t num_tokens = 0;                 // tokens the forward pass processed
};

// What evaluate() returns: metrics averaged over the evaluation set (TRL names; the trainer
// adds the "eval_" prefix where missing), and its size for the throughput figures.
struct WIZARD_API EvalResult {
  std::map<std::string, double> metrics;
  int64_t num_samples = 0;
  int64_t num_batches = 0;
};

// Where an optimizer step's time went (wall seconds), for after_step.
struct StepTimes {
  int64_t global_step = 0;  // the step just taken
  double forward = 0;       // compute() of its micro-batches
  double backward = 0;      // their backward passes (and the float32 gradient sums)
  double optimizer = 0;     // clipping and the AdamW update
};

struct WIZARD_API TrainingTask {
  // The trainable parameters with their Hugging Face names (a tied weight once).
  NamedParameters parameters;
  // The micro-batches of an epoch; must be a pure function of the epoch (resume relies on it).
  std::function<std::vector<MicroBatch>(int64_t epoch)> micro_batches;
  // Forward pass of one micro-batch.
  std::function<StepResult(const MicroBatch&)> compute;
  // Tokens of one example (an index of a micro-batch), to share a data-parallel run's
  // micro-batches among the ranks balanced by tokens; unset: shared by example count.
  std::function<int64_t(int64_t example)> example_tokens;
  // Evaluation on the validation set; required when eval_strategy is not "no".
  std::function<EvalResult()> evaluate;
  // Writes a complete model folder at the given path (e.g. CausalLM::save_pretrained).
  std::function<void(const std::filesystem::path&)> save_model;
  // Loads the model parameters from a checkpoint folder on resume; default: every parameter
  // by name from the folder's safetensors files.
  std::function<void(const std::filesystem::path&)> load_model;
  // Extra state of the recipe saved with each checkpoint and given back on resume.
  std::function<nlohmann::json()> save_state;
  std::function<void(const nlohmann::json&)> load_state;
  // Called after each optimizer step, before logging, evaluation and saving (`wizard bench`
  // times steps with it).
  std::function<void(const StepTimes&)> after_step;
  // Save the final model into output_dir at the end (what TRL's and training-wizard's scripts
  // do with trainer.save_model()).
  bool save_final_model = true;
  // Also evaluate after the first optimizer step (training-wizard's evaluate_first_step
  // callback: an early check that the run is sane); needs `evaluate`.
  bool evaluate_after_first_step = false;
  // The run's parameters for report_to's trackers (MLflow params), over the training
  // arguments (e.g. the model, the loss, the data).
  nlohmann::json run_params;
  // Console display (automatic: a bar on a terminal, log lines otherwise; disable_tqdm: off).
  ProgressDisplay::Mode progress = ProgressDisplay::Mode::automatic;
  AdamWKernel optimizer_kernel = AdamWKernel::automatic;
};

struct WIZARD_API TrainResult {
  int64_t global_step = 0;
  double epoch = 0;
  double train_loss = 0;                  // mean step loss over the whole run
  std::map<std::string, double> metrics;  // train_runtime, train_samples_per_second, ...
  std::optional<std::filesystem::path> last_checkpoint;
};

class WIZARD_API Trainer {
 public:
  Trainer(TrainingArguments args, TrainingTask task);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // Runs (or resumes, per args.resume_from_checkpoint) the training.
  TrainResult train();

  const TrainingArguments& args() const;
  // Known after train() started (the plan needs the first epoch's micro-batches).
  const TrainingPlan& plan() const;
  // The optimizer of the last train() (its state as the run left it); null before. With
  // optimizer_sharding on several ranks it holds this rank's parameters only.
  const AdamW* optimizer() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wizard::train
