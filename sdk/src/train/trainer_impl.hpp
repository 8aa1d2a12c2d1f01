// The trainer's state and steps, shared by trainer.cpp (the loop, logging, evaluation) and
// trainer_checkpoint.cpp (output folder, checkpoints, resume, final save).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>

#include "train/data_parallel.hpp"
#include "train/run_state.hpp"
#include "wizard/train/lr_schedule.hpp"
#include "wizard/train/metrics_log.hpp"
#include "wizard/train/metrics_sinks.hpp"
#include "wizard/train/trainer.hpp"

namespace wizard::train {

struct Trainer::Impl {
  Impl(TrainingArguments args, TrainingTask task);

  TrainingArguments args;
  TrainingTask task;
  TrainingPlan plan;
  LrSchedule schedule;
  std::unique_ptr<AdamW> optimizer;
  std::unique_ptr<MetricsLog> metrics;
  std::vector<std::unique_ptr<MetricsSink>> sinks;  // report_to's destinations
  std::unique_ptr<ProgressDisplay> progress;
  detail::RunState state;
  std::optional<std::filesystem::path> last_checkpoint;
  int64_t last_saved_step = -1;
  bool resumed = false;
  std::unique_ptr<detail::DataParallel> dp;  // null in a single-process run
  bool optimizer_memory_reported = false;    // after the first step, when the state exists

  TrainResult train();
  TrainResult run(std::chrono::steady_clock::time_point start);
  // Rank 0 of a data-parallel run, or the single process: the one that prints and writes.
  bool main_rank() const { return !dp || dp->is_main(); }

  // --- stopping on request (trainer.cpp) ---
  // The signal of a pending stop request, 0 when none; polled after each optimizer step (the
  // one place where ranks of a data-parallel run would agree to stop together).
  int stop_signal() const;
  // Saves a checkpoint (save_on_interrupt) and throws wizard::Interrupted saying how to resume.
  [[noreturn]] void interrupt(int signal);

  // --- the loop (trainer.cpp) ---
  void check_task() const;
  void run_epoch(int64_t epoch, const std::vector<MicroBatch>& batches, int64_t start, bool& stop);
  // One micro-batch's forward and backward (this rank's share of it in a data-parallel run);
  // adds its values to `sums` (data parallel) or to the log window.
  void micro_step(int64_t epoch, int64_t index, const MicroBatch& batch, bool last_of_window,
                  detail::StepSums& sums, double& step_loss, StepTimes& times);
  void optimizer_step(int64_t epoch, int64_t micro_batch);
  void end_of_step(bool training_done);
  void end_of_epoch(int64_t epoch);
  void log_save_evaluate(bool log, bool evaluate, bool save);
  void log_training();
  std::map<std::string, double> evaluate();
  bool update_best(const std::map<std::string, double>& metrics);
  void record(const LogEvent& event);
  [[noreturn]] void stop_non_finite(const std::string& what, double value, int64_t epoch,
                                    int64_t micro_batch);
  TrainResult finish(std::chrono::steady_clock::time_point start, int64_t first_step,
                     int64_t first_samples, int64_t first_tokens);

  // --- files (trainer_checkpoint.cpp) ---
  void prepare_output_dir();
  // The checkpoint to resume from (args.resume_from_checkpoint), checked to be complete.
  std::optional<std::filesystem::path> choose_checkpoint() const;
  void save_checkpoint();
  void resume(const std::filesystem::path& checkpoint);
  void save_optimizer_shards(const std::filesystem::path& staging,
                             const std::filesystem::path& shards);
  void load_optimizer(const std::filesystem::path& checkpoint);
  std::string rng_file_to_restore(const std::filesystem::path& checkpoint) const;
  void load_model_from(const std::filesystem::path& checkpoint);  // the task's or by name
  void load_parameters(const std::filesystem::path& checkpoint);
  void save_final_model();
  void load_best_model();
};

}  // namespace wizard::train
