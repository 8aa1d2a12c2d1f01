// The sinks behind report_to, and their factory.
#include "wizard/train/metrics_sinks.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "wizard/base/log.hpp"

namespace wizard::train {

namespace fs = std::filesystem;

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The numbers of an event, except its step.
std::vector<std::pair<std::string, double>> numbers_of(const LogEvent& event) {
  std::vector<std::pair<std::string, double>> numbers;
  for (const auto& item : event.items()) {
    if (item.key() != "step" && item.value().is_number()) {
      numbers.emplace_back(item.key(), item.value().get<double>());
    }
  }
  return numbers;
}

int64_t step_of(const LogEvent& event) {
  return event.contains("step") && event["step"].is_number_integer() ? event["step"].get<int64_t>()
                                                                     : 0;
}

class TensorBoardSink : public MetricsSink {
 public:
  TensorBoardSink(fs::path folder, std::string wandb_project, bool wandb)
      : folder_(std::move(folder)), wandb_project_(std::move(wandb_project)), wandb_(wandb) {}

  void start(const std::vector<LogEvent>& history) override {
    writer_ = std::make_unique<TensorBoardWriter>(folder_);
    for (const auto& event : history) write(event);
    logger()->info("TensorBoard events: {} (tensorboard --logdir {})", writer_->path().string(),
                   folder_.string());
  }
  void write(const LogEvent& event) override {
    writer_->add_scalars(step_of(event), numbers_of(event), now_seconds());
  }
  void finish() override {
    if (wandb_) {
      logger()->info(
          "W&B's client does not run here; upload this run's TensorBoard events with:\n  {}",
          wandb_sync_command(folder_, wandb_project_));
    }
  }

 private:
  fs::path folder_;
  std::string wandb_project_;
  bool wandb_;
  std::unique_ptr<TensorBoardWriter> writer_;
};

// HF's MLflowCallback: params at the start, metrics per log event at its step.
class MlflowSink : public MetricsSink {
 public:
  MlflowSink(fs::path store, std::string experiment, std::string run_name, nlohmann::json params)
      : store_(std::move(store)),
        experiment_(std::move(experiment)),
        run_name_(std::move(run_name)),
        params_(std::move(params)) {}

  void start(const std::vector<LogEvent>& history) override {
    run_ = std::make_unique<MlflowRun>(store_, experiment_, run_name_);
    run_->log_params(params_);
    for (const auto& event : history) write(event);
    logger()->info(
        "MLflow run {} in {} (MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri {})",
        run_->run_id(), store_.string(), store_.string());
  }
  void write(const LogEvent& event) override {
    const auto ms = static_cast<int64_t>(now_seconds() * 1000);
    for (const auto& [name, value] : numbers_of(event)) {
      run_->log_metric(name, value, step_of(event), ms);
    }
  }
  void finish() override { run_->end(true); }

 private:
  fs::path store_;
  std::string experiment_;
  std::string run_name_;
  nlohmann::json params_;
  std::unique_ptr<MlflowRun> run_;  // its destructor records a run that did not finish
};

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// MLFLOW_TRACKING_URI when it names a local folder ("file:" URI or plain path), else
// output_dir/mlruns.
fs::path mlflow_store(const TrainingArguments& args) {
  std::string uri = environment("MLFLOW_TRACKING_URI");
  if (uri.rfind("file://", 0) == 0) return uri.substr(7);
  if (uri.rfind("file:", 0) == 0) return uri.substr(5);
  if (!uri.empty() && uri.find("://") == std::string::npos) return uri;
  if (!uri.empty()) {
    logger()->warn(
        "MLFLOW_TRACKING_URI={} is not a local folder; wizard writes an MLflow file "
        "store in {} instead",
        uri, (args.output_dir / "mlruns").string());
  }
  return args.output_dir / "mlruns";
}

}  // namespace

MetricsSink::~MetricsSink() = default;

fs::path resolved_logging_dir(const TrainingArguments& args) {
  if (!args.logging_dir.empty()) return args.logging_dir;
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof(stamp), "%b%d_%H-%M-%S", std::localtime(&now));
  char host[256] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "localhost");
  return args.output_dir / "runs" / (std::string(stamp) + "_" + host);
}

std::string wandb_sync_command(const fs::path& logging_dir, const std::string& project) {
  std::string command = "wandb sync --sync-tensorboard";
  if (!project.empty()) command += " --project " + project;
  return command + " " + logging_dir.string();
}

std::vector<std::unique_ptr<MetricsSink>> make_metrics_sinks(const TrainingArguments& args,
                                                             const nlohmann::json& params) {
  auto wants = [&](const char* name) {
    return std::find(args.report_to.begin(), args.report_to.end(), name) != args.report_to.end();
  };
  std::vector<std::unique_ptr<MetricsSink>> sinks;
  if (wants("tensorboard") || wants("wandb")) {
    const std::string project =
        args.wandb_project.empty() ? environment("WANDB_PROJECT") : args.wandb_project;
    sinks.push_back(
        std::make_unique<TensorBoardSink>(resolved_logging_dir(args), project, wants("wandb")));
  }
  if (wants("mlflow")) {
    std::string experiment = args.mlflow_experiment_name;
    if (experiment.empty()) experiment = environment("MLFLOW_EXPERIMENT_NAME");
    if (experiment.empty()) experiment = "Default";
    sinks.push_back(
        std::make_unique<MlflowSink>(mlflow_store(args), experiment, args.run_name, params));
  }
  return sinks;
}

}  // namespace wizard::train
