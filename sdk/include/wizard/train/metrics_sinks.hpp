// Where the trainer's log events go besides output_dir/metrics.jsonl (training_args'
// report_to): TensorBoard event files, an MLflow file store, and the W&B route (TensorBoard
// events plus the `wandb sync` command that uploads them, since W&B's client does not run
// here). Each event's numbers go under the names metrics.jsonl uses, at its "step".
//
//   report_to = ["tensorboard", "mlflow"]
//   -> <logging_dir>/events.out.tfevents.<time>.<host>.<pid>.0   (tensorboard --logdir ...)
//   -> <output_dir>/mlruns/<experiment>/<run>/...                (mlflow ui --backend-store-uri
//   ...)
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/train/metrics_log.hpp"
#include "wizard/train/training_args.hpp"

namespace wizard::train {

class WIZARD_API MetricsSink {
 public:
  virtual ~MetricsSink();
  // The run starts; `history` holds the events of the run so far (a resumed run's).
  virtual void start(const std::vector<LogEvent>& history) = 0;
  virtual void write(const LogEvent& event) = 0;
  // The run ended well. A sink destroyed without it records a failed run.
  virtual void finish() = 0;
};

// TensorBoard's event file: TFRecord framing (length, masked CRC-32C of the length, the
// record, masked CRC-32C of the record) around Event protocol buffers; the first holds the
// file version, each later one a Summary with one simple_value per number of a log event.
class WIZARD_API TensorBoardWriter {
 public:
  // Creates `folder` and a new event file in it.
  explicit TensorBoardWriter(const std::filesystem::path& folder);
  const std::filesystem::path& path() const { return path_; }
  // One Event at `step` with a scalar per (tag, value), written and flushed.
  void add_scalars(int64_t step, const std::vector<std::pair<std::string, double>>& scalars,
                   double wall_time);

 private:
  void write_record(const std::string& data);
  std::filesystem::path path_;
  std::ofstream out_;
};

// CRC-32C (Castagnoli) of `data`, and TFRecord's masked form of a CRC.
WIZARD_API uint32_t crc32c(const std::string& data);
WIZARD_API uint32_t masked_crc32c(const std::string& data);

// MLflow's file store (what `mlflow ui --backend-store-uri DIR` and MlflowClient read):
// DIR/<experiment_id>/meta.yaml, and per run DIR/<experiment_id>/<run_id>/meta.yaml,
// params/<name>, metrics/<name> ("<ms> <value> <step>" lines), tags/<name>, artifacts/.
class WIZARD_API MlflowRun {
 public:
  // Finds the experiment named `experiment` in `store` (creating the store, the "Default"
  // experiment 0 and this one as needed) and starts a run named `run_name`.
  MlflowRun(const std::filesystem::path& store, const std::string& experiment,
            const std::string& run_name);
  ~MlflowRun();
  MlflowRun(const MlflowRun&) = delete;
  MlflowRun& operator=(const MlflowRun&) = delete;

  const std::filesystem::path& run_dir() const { return run_dir_; }
  const std::string& run_id() const { return run_id_; }
  const std::string& experiment_id() const { return experiment_id_; }
  // Nested objects flatten to "a.b" keys; values are written as MLflow writes them.
  void log_params(const nlohmann::json& params);
  void log_metric(const std::string& name, double value, int64_t step, int64_t timestamp_ms);
  void set_tag(const std::string& name, const std::string& value);
  // "FINISHED" or "FAILED", with the end time.
  void end(bool success);

 private:
  void write_meta(const std::string& status, const std::string& end_time);
  std::filesystem::path store_;
  std::filesystem::path run_dir_;
  std::string experiment_id_;
  std::string run_id_;
  std::string run_name_;
  int64_t start_ms_ = 0;
  bool ended_ = false;
};

// The sinks report_to asks for (none for an empty list). `params` are the run's parameters
// (MLflow's params). The wandb route logs the `wandb sync` command when the run finishes.
WIZARD_API std::vector<std::unique_ptr<MetricsSink>> make_metrics_sinks(
    const TrainingArguments& args, const nlohmann::json& params);

// TensorBoard's folder of a run: logging_dir, or output_dir/runs/<date-time>_<host> as HF's
// default.
WIZARD_API std::filesystem::path resolved_logging_dir(const TrainingArguments& args);

// The command that uploads a TensorBoard folder to a W&B project.
WIZARD_API std::string wandb_sync_command(const std::filesystem::path& logging_dir,
                                          const std::string& project);

}  // namespace wizard::train
