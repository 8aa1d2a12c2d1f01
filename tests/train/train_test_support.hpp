// Shared pieces of the trainer tests: building config tables, capturing log output, a small
// deterministic regression task for the training loop, and reading metrics.jsonl.
#pragma once

#include <ATen/ATen.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <sys/types.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "wizard/base/config.hpp"
#include "wizard/train/trainer.hpp"

namespace wizard::test {

// A config table (the training_args_spec of a document) from key/value pairs.
Config training_table(std::initializer_list<std::pair<std::string, ConfigValue>> entries);
ConfigValue strings(std::initializer_list<std::string> items);

// Collects what wizard::logger() prints at warning level and above (debug when asked).
class LogCapture {
 public:
  explicit LogCapture(spdlog::level::level_enum level = spdlog::level::warn);
  ~LogCapture();
  std::string text() const;

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  spdlog::level::level_enum previous_level_;
};

// Runs `action`, which must throw an exception of type E whose message has every fragment.
template <class E>
void expect_throw_with(const std::function<void()>& action,
                       std::initializer_list<std::string> fragments);

// Linear regression y = x W + b over a fixed data set of `examples` rows: a stand-in model
// whose loss, gradients and metrics are known exactly. Parameters carry HF-style names
// (one weight that takes weight decay, one bias that does not).
struct RegressionTask {
  explicit RegressionTask(int64_t examples = 12, int64_t features = 4, int64_t outputs = 3,
                          at::ScalarType dtype = at::kFloat);
  train::NamedParameters parameters;
  at::Tensor inputs;                // [examples, features] float32
  at::Tensor targets;               // [examples, outputs] float32
  std::vector<double> losses_seen;  // every compute() loss, in call order

  // Micro-batches of `batch` consecutive examples, rotated by the epoch (a pure function).
  std::function<std::vector<train::MicroBatch>(int64_t)> batches(int64_t batch);
  // Mean squared error of a micro-batch; metrics "rewards/chosen" (mean prediction) and
  // "nll_loss" (the loss again); 10 tokens per example.
  train::StepResult compute(const train::MicroBatch& batch);
  // Writes the parameters as model.safetensors + config.json into `folder` (creating it).
  void save(const std::filesystem::path& folder) const;
  train::TrainingTask task(int64_t batch);
  std::vector<at::Tensor> values() const;  // copies of the parameters
};

// Arguments for a fast run in `output_dir`: no progress display output, every default else.
train::TrainingArguments quick_args(const std::filesystem::path& output_dir);

// Starts train_crash_helper (beside the test binary) with `args`; returns its process id.
pid_t start_crash_helper(const std::vector<std::string>& args);
// Waits until `file` exists or `seconds` pass; whether it exists.
bool wait_for_file(const std::filesystem::path& file, double seconds);

// The JSON objects of metrics.jsonl, in order.
std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path);

// The log history without the wall-clock figures, which differ between any two runs.
std::vector<nlohmann::json> without_timing(std::vector<nlohmann::json> history);

// A resumed run against the uninterrupted one, bit for bit: `resumed` saw the losses of
// `uninterrupted` from `resumed_at` on and ends with its weights; metrics.jsonl of `run` equals
// that of `reference` (timing aside).
void expect_resumed_as_uninterrupted(const RegressionTask& resumed,
                                     const RegressionTask& uninterrupted, std::size_t resumed_at,
                                     const std::filesystem::path& run,
                                     const std::filesystem::path& reference);

// The log events of a history that carry `key`.
std::vector<nlohmann::json> events_with(const std::vector<nlohmann::json>& history,
                                        const std::string& key);

}  // namespace wizard::test

#include "train_test_support_inl.hpp"
