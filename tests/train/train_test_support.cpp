#include "train_test_support.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <spawn.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "wizard/base/log.hpp"
#include "wizard/model/safetensors.hpp"

extern char** environ;

namespace wizard::test {

namespace fs = std::filesystem;

Config training_table(std::initializer_list<std::pair<std::string, ConfigValue>> entries) {
  ConfigValue::Table table;
  for (const auto& entry : entries) table.emplace_back(entry.first, entry.second);
  ConfigValue root =
      ConfigValue::table({{"training_args_spec", ConfigValue::table(std::move(table))}});
  return Config(std::move(root)).table("training_args_spec");
}

ConfigValue strings(std::initializer_list<std::string> items) {
  ConfigValue::Array array;
  for (const auto& item : items) array.push_back(ConfigValue::string(item));
  return ConfigValue::array(std::move(array));
}

LogCapture::LogCapture(spdlog::level::level_enum level)
    : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000)),
      previous_level_(logger()->level()) {
  sink_->set_level(level);
  sink_->set_pattern("%l: %v");
  logger()->sinks().push_back(sink_);
  if (level < previous_level_) logger()->set_level(level);
}

LogCapture::~LogCapture() {
  auto& sinks = logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  logger()->set_level(previous_level_);
}

std::string LogCapture::text() const {
  std::string out;
  for (const auto& line : sink_->last_formatted()) out += line;
  return out;
}

RegressionTask::RegressionTask(int64_t examples, int64_t features, int64_t outputs,
                               at::ScalarType dtype) {
  at::Generator generator = at::detail::createCPUGenerator(1234);
  inputs = at::randn({examples, features}, generator);
  targets = at::randn({examples, outputs}, generator);
  at::Tensor weight =
      (0.5 * at::randn({outputs, features}, generator)).to(dtype).set_requires_grad(true);
  at::Tensor bias = (0.1 * at::randn({outputs}, generator)).to(dtype).set_requires_grad(true);
  parameters = {{"model.layers.0.mlp.up_proj.weight", weight},
                {"model.layers.0.mlp.up_proj.bias", bias}};
}

std::function<std::vector<train::MicroBatch>(int64_t)> RegressionTask::batches(int64_t batch) {
  const int64_t examples = inputs.size(0);
  return [examples, batch](int64_t epoch) {
    std::vector<train::MicroBatch> out;
    for (int64_t start = 0; start < examples; start += batch) {
      train::MicroBatch micro_batch;
      for (int64_t i = start; i < std::min(examples, start + batch); ++i) {
        micro_batch.push_back((i + epoch) % examples);  // a different order every epoch
      }
      out.push_back(std::move(micro_batch));
    }
    return out;
  };
}

train::StepResult RegressionTask::compute(const train::MicroBatch& batch) {
  const at::Tensor index = at::tensor(batch, at::kLong);
  const at::Tensor x = inputs.index_select(0, index);
  const at::Tensor y = targets.index_select(0, index);
  const at::Tensor prediction =
      at::linear(x, parameters[0].second.to(at::kFloat), parameters[1].second.to(at::kFloat));
  train::StepResult result;
  result.loss = (prediction - y).pow(2).mean();
  const double loss = result.loss.item<double>();
  losses_seen.push_back(loss);
  result.metrics = {{"rewards/chosen", prediction.mean().item<double>()}, {"nll_loss", loss}};
  result.num_tokens = 10 * static_cast<int64_t>(batch.size());
  return result;
}

void RegressionTask::save(const fs::path& folder) const {
  fs::create_directories(folder);
  safetensors::NamedTensors tensors;
  for (const auto& [name, value] : parameters) tensors.emplace_back(name, value.detach());
  safetensors::save(folder / "model.safetensors", tensors);
  std::ofstream(folder / "config.json") << "{\"model_type\": \"regression\"}\n";
}

train::TrainingTask RegressionTask::task(int64_t batch) {
  train::TrainingTask task;
  task.parameters = parameters;
  task.micro_batches = batches(batch);
  task.compute = [this](const train::MicroBatch& b) { return compute(b); };
  task.save_model = [this](const fs::path& folder) { save(folder); };
  task.progress = train::ProgressDisplay::Mode::off;
  return task;
}

std::vector<at::Tensor> RegressionTask::values() const {
  std::vector<at::Tensor> out;
  for (const auto& entry : parameters) out.push_back(entry.second.detach().clone());
  return out;
}

train::TrainingArguments quick_args(const fs::path& output_dir) {
  train::TrainingArguments args;
  args.output_dir = output_dir;
  args.num_train_epochs = 1;
  args.learning_rate = 0.05;
  args.logging_steps = 1;
  args.save_strategy = train::Interval::no;
  args.disable_tqdm = true;
  args.threads = 1;
  return args;
}

pid_t start_crash_helper(const std::vector<std::string>& args) {
  const fs::path helper = fs::read_symlink("/proc/self/exe").parent_path() / "train_crash_helper";
  if (!fs::exists(helper)) throw std::runtime_error("missing " + helper.string());
  std::vector<std::string> words = {helper.string()};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  pid_t child = 0;
  if (::posix_spawn(&child, helper.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
    throw std::runtime_error("cannot start " + helper.string());
  }
  return child;
}

bool wait_for_file(const fs::path& file, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!fs::exists(file) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return fs::exists(file);
}

std::vector<nlohmann::json> read_jsonl(const fs::path& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

std::vector<nlohmann::json> without_timing(std::vector<nlohmann::json> history) {
  for (auto& event : history) {
    for (const char* key : {"tokens_per_second", "train_runtime", "train_samples_per_second",
                            "train_steps_per_second", "train_tokens_per_second", "eval_runtime"}) {
      event.erase(key);
    }
  }
  return history;
}

void expect_resumed_as_uninterrupted(const RegressionTask& resumed,
                                     const RegressionTask& uninterrupted, std::size_t resumed_at,
                                     const fs::path& run, const fs::path& reference) {
  const std::vector<double> tail(uninterrupted.losses_seen.begin() + resumed_at,
                                 uninterrupted.losses_seen.end());
  EXPECT_EQ(resumed.losses_seen, tail);
  for (std::size_t i = 0; i < resumed.parameters.size(); ++i) {
    EXPECT_TRUE(at::equal(resumed.parameters[i].second, uninterrupted.parameters[i].second));
  }
  EXPECT_EQ(without_timing(read_jsonl(run / "metrics.jsonl")),
            without_timing(read_jsonl(reference / "metrics.jsonl")));
}

std::vector<nlohmann::json> events_with(const std::vector<nlohmann::json>& history,
                                        const std::string& key) {
  std::vector<nlohmann::json> out;
  for (const auto& event : history) {
    if (event.contains(key)) out.push_back(event);
  }
  return out;
}

}  // namespace wizard::test
