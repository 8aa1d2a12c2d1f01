// TrainingArguments: the `training_args_spec` table, with Hugging Face TrainingArguments'
// names, types and defaults (transformers 4.51), so configs written for HF's Trainer or TRL
// run unchanged. Recipes pass their own defaults (TRL's CPOConfig changes a few) and merge
// docs() with their own options before checking keys:
//
//   TrainingArguments defaults;
//   defaults.learning_rate = 1e-6;                        // CPOConfig's default
//   OptionDocs options = TrainingArguments::docs(defaults);
//   options.insert(options.end(), cpo_options.begin(), cpo_options.end());
//   table.check_keys(options);
//   TrainingArguments args = TrainingArguments::from_config(table, defaults);
//
// Every field is described in docs/training.md.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "wizard/base/config.hpp"
#include "wizard/base/export.hpp"

namespace wizard::train {

// When logging, evaluation or saving happens (HF's IntervalStrategy / SaveStrategy).
// `best` exists for save_strategy only: save when the evaluated metric improved.
enum class Interval { no, steps, epoch, best };

WIZARD_API std::string interval_name(Interval interval);

struct WIZARD_API TrainingArguments {
  // --- output ---
  std::filesystem::path output_dir;  // required
  bool overwrite_output_dir = false;
  std::string run_name;  // "" -> output_dir

  // --- duration and batches ---
  double num_train_epochs = 3.0;
  int64_t max_steps = -1;  // > 0 overrides num_train_epochs
  int64_t per_device_train_batch_size = 8;
  int64_t per_device_eval_batch_size = 8;
  int64_t gradient_accumulation_steps = 1;
  bool dataloader_drop_last = false;

  // --- optimizer (AdamW) ---
  std::string optim = "adamw_torch";
  double learning_rate = 5e-5;
  double weight_decay = 0.0;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_epsilon = 1e-8;
  double max_grad_norm = 1.0;  // 0 disables clipping

  // --- learning-rate schedule ---
  std::string lr_scheduler_type = "linear";
  double cosine_num_cycles = 0.5;                 // lr_scheduler_kwargs.num_cycles
  std::optional<int64_t> inverse_sqrt_timescale;  // lr_scheduler_kwargs.timescale
  int64_t warmup_steps = 0;                       // > 0 wins over warmup_ratio
  double warmup_ratio = 0.0;

  // --- logging ---
  Interval logging_strategy = Interval::steps;
  double logging_steps = 500;  // < 1: a fraction of the total steps
  bool logging_first_step = false;
  bool disable_tqdm = false;  // no progress bar
  // Where log events go besides metrics.jsonl (wizard/train/metrics_sinks.hpp): "tensorboard",
  // "mlflow", "wandb" (TensorBoard events and the `wandb sync` command); empty = "none".
  std::vector<std::string> report_to;
  std::filesystem::path logging_dir;  // TensorBoard's folder; "" = output_dir/runs/<time>_<host>
  // Not read from the table (recipes set them from their own keys): the MLflow experiment
  // (default $MLFLOW_EXPERIMENT_NAME, else "Default") and the W&B project the printed sync
  // command names (default $WANDB_PROJECT).
  std::string mlflow_experiment_name;
  std::string wandb_project;

  // --- evaluation ---
  Interval eval_strategy = Interval::no;
  std::optional<double> eval_steps;  // default: logging_steps
  double eval_delay = 0;
  bool eval_on_start = false;
  std::optional<std::string> metric_for_best_model;  // e.g. "loss" -> eval_loss
  std::optional<bool> greater_is_better;             // default: metric does not end in "loss"
  bool load_best_model_at_end = false;               // the final model is the best checkpoint's

  // --- checkpoints ---
  Interval save_strategy = Interval::steps;
  double save_steps = 500;
  std::optional<int64_t> save_total_limit;
  bool save_only_model = false;
  std::filesystem::path resume_from_checkpoint;  // a checkpoint folder, or
  bool resume_from_latest_checkpoint = false;    // resume_from_checkpoint = true or "auto"
  bool resume_skips_damaged = false;             // "auto": the newest complete checkpoint
  bool ignore_data_skip = false;
  bool save_on_interrupt = true;  // SIGINT/SIGTERM: finish the step, save a checkpoint, stop

  // --- precision and memory ---
  // bf16 unset means "bf16 unless fp16" (TRL's default); after parsing it is always set.
  std::optional<bool> bf16 = false;
  bool fp16 = false;
  bool gradient_checkpointing = false;
  bool disable_dropout = true;  // TRL; the supported models have no dropout

  // --- reproducibility and machine ---
  int64_t seed = 42;
  std::optional<int64_t> data_seed;
  int64_t threads = 0;  // intra-op threads; 0 = every core this process may use (shared
                        // among the ranks of a data-parallel run on one machine)
  bool use_cpu = false;

  // --- data parallel (launched by torchrun, srun or `wizard launch`: docs/distributed.md) ---
  std::string ddp_backend;          // "" (gloo on the CPU, nccl on CUDA), "gloo" or "nccl"
  int64_t ddp_timeout = 1800;       // seconds a collective may wait for the other ranks
  int64_t ddp_bucket_cap_mb = 25;   // gradient bucket size of the overlapped all-reduce
  bool optimizer_sharding = false;  // ZeRO stage 1: each rank keeps and steps 1/N of the state

  // Reads `table` (the training_args_spec table) over `defaults` and validates the values.
  // Does not check for unknown keys: the caller checks them against its merged options.
  static TrainingArguments from_config(const Config& table, const TrainingArguments& defaults);
  static TrainingArguments from_config(const Config& table);  // over HF's defaults
  // check_keys(docs(defaults)) and from_config, for callers with no options of their own.
  static TrainingArguments parse(const Config& table, const TrainingArguments& defaults);
  static TrainingArguments parse(const Config& table);
  // Every key from_config accepts, with its type, default (from `defaults`) and help.
  static OptionDocs docs(const TrainingArguments& defaults);
  static OptionDocs docs();
  // The supported names (for messages and docs).
  static const std::vector<std::string>& optimizer_names();
  static const std::vector<std::string>& scheduler_names();

  bool use_bf16() const { return bf16.value_or(!fp16); }
  // AdamW's state width for `optim`: 8 for the 8-bit names (adamw_bnb_8bit, adamw_8bit,
  // paged_adamw_8bit), else 32.
  int optimizer_state_bits() const;
  // The parameter dtype the precision flags ask for: "bfloat16", "float16" or "float32".
  std::string parameter_dtype_name() const;
  // transformers' get_warmup_steps: warmup_steps if > 0, else ceil(total * warmup_ratio).
  int64_t warmup_steps_for(int64_t total_steps) const;
  bool resume_requested() const {
    return resume_from_latest_checkpoint || !resume_from_checkpoint.empty();
  }
  // The checkpoint to resume from: the given folder, or the newest checkpoint-<N> in
  // output_dir for `true` and "auto"; nullopt for a fresh run, and (with a note in the log)
  // when output_dir holds no checkpoint yet. Whether the checkpoint is complete is the
  // trainer's check.
  std::optional<std::filesystem::path> checkpoint_to_resume() const;
  // HF's rule for output_dir: a run that neither resumes nor sets overwrite_output_dir is
  // refused (ConfigError) when output_dir holds an earlier run. The host's run files
  // (resolved_config.toml, wizard.log, the lock file) and hidden staging folders don't count.
  void check_output_dir() const;
  // Sets the intra-op thread count (`threads`, or every usable core) and returns it.
  int64_t apply_threads() const;
  // The cores this process may use, and the most threads `threads` accepts (4 per core:
  // more only adds switching, and thousands of threads stall the machine).
  static int64_t usable_cores();
  static int64_t max_threads();
  // The resolved values, as written to training_args.json in checkpoints.
  nlohmann::json to_json() const;
};

}  // namespace wizard::train
