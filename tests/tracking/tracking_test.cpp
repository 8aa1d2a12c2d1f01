// report_to: the CRC and protocol-buffer bytes of TensorBoard event files, the MLflow file
// store's layout, the trainer writing both, and (when installed) the real Python readers.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>

#include "test_support.hpp"
#include "train_test_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/train/metrics_sinks.hpp"
#include "wizard/train/trainer.hpp"

namespace wizard::test {
namespace {

namespace fs = std::filesystem;
using train::MlflowRun;
using train::TensorBoardWriter;
using train::TrainingArguments;

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (const unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

uint64_t read_u64(const std::string& s, std::size_t at) {
  uint64_t v = 0;
  std::memcpy(&v, s.data() + at, 8);
  return v;
}
uint32_t read_u32(const std::string& s, std::size_t at) {
  uint32_t v = 0;
  std::memcpy(&v, s.data() + at, 4);
  return v;
}

// The records of a TFRecord file, checking both CRCs of each.
std::vector<std::string> records_of(const fs::path& file) {
  const std::string bytes = read_text(file);
  std::vector<std::string> records;
  for (std::size_t at = 0; at < bytes.size();) {
    const uint64_t length = read_u64(bytes, at);
    EXPECT_EQ(read_u32(bytes, at + 8), train::masked_crc32c(bytes.substr(at, 8)));
    const std::string data = bytes.substr(at + 12, length);
    EXPECT_EQ(read_u32(bytes, at + 12 + length), train::masked_crc32c(data));
    records.push_back(data);
    at += 16 + length;
  }
  return records;
}

fs::path only_file_in(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) files.push_back(entry.path());
  EXPECT_EQ(files.size(), 1u) << folder;
  return files.empty() ? fs::path() : files[0];
}

TEST(TensorBoard, Crc32cAndItsMaskedFormAreTfRecords) {
  // The CRC-32C check value, and TFRecord's mask ((crc >> 15 | crc << 17) + 0xa282ead8).
  EXPECT_EQ(train::crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(train::masked_crc32c("123456789"), 0xC78AB0E5u);
  EXPECT_EQ(train::crc32c(""), 0u);
}

TEST(TensorBoard, EventsAreFramedProtocolBuffers) {
  const fs::path folder = temp_dir("tensorboard-bytes");
  TensorBoardWriter writer(folder);
  writer.add_scalars(7, {{"loss", 0.5}}, 1.0);
  EXPECT_NE(writer.path().filename().string().find("events.out.tfevents."), std::string::npos);
  const auto records = records_of(writer.path());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_NE(records[0].find("brain.Event:2"), std::string::npos);
  // wall_time 1.0 (field 1, fixed64), step 7 (field 2, varint), summary (field 5) holding one
  // value (field 1) with tag "loss" (field 1) and simple_value 0.5 (field 2, fixed32).
  EXPECT_EQ(hex(records[1]), "09000000000000f03f10072a0d0a0b0a046c6f7373150000003f");
}

TEST(Mlflow, ARunIsLaidOutAsMlflowsFileStore) {
  const fs::path store = temp_dir("mlflow-layout") / "mlruns";
  {
    MlflowRun run(store, "prefs", "run-a");
    run.log_params({{"learning_rate", 0.001}, {"bf16", true}, {"kwargs", {{"num_cycles", 0.5}}}});
    run.log_metric("rewards/chosen", 0.25, 3, 1000);
    run.log_metric("rewards/chosen", 0.5, 4, 2000);
    run.end(true);
    EXPECT_EQ(read_text(run.run_dir() / "params" / "learning_rate"), "0.001");
    EXPECT_EQ(read_text(run.run_dir() / "params" / "bf16"), "True");
    EXPECT_EQ(read_text(run.run_dir() / "params" / "kwargs.num_cycles"), "0.5");
    EXPECT_EQ(read_text(run.run_dir() / "metrics" / "rewards" / "chosen"),
              "1000 0.25 3\n2000 0.5 4\n");
    EXPECT_EQ(read_text(run.run_dir() / "tags" / "mlflow.runName"), "run-a");
    const std::string meta = read_text(run.run_dir() / "meta.yaml");
    EXPECT_NE(meta.find("status: 3\n"), std::string::npos) << meta;  // FINISHED
    EXPECT_NE(meta.find("run_name: 'run-a'\n"), std::string::npos) << meta;
    EXPECT_NE(read_text(store / "0" / "meta.yaml").find("name: 'Default'"), std::string::npos);
  }
  // The same experiment name finds the same experiment; a run never ended is FAILED.
  MlflowRun first(store, "prefs", "run-b");
  const std::string experiment = first.experiment_id();
  std::string meta_path;
  {
    MlflowRun unfinished(store, "prefs", "run-c");
    EXPECT_EQ(unfinished.experiment_id(), experiment);
    meta_path = (unfinished.run_dir() / "meta.yaml").string();
  }
  EXPECT_NE(read_text(meta_path).find("status: 4\n"), std::string::npos);
}

TEST(ReportTo, NamesAreCheckedAndAllMeansEveryDestination) {
  auto parse = [](ConfigValue value) {
    return TrainingArguments::parse(
        training_table({{"output_dir", ConfigValue::string("o")}, {"report_to", value}}));
  };
  EXPECT_TRUE(parse(ConfigValue::string("none")).report_to.empty());
  EXPECT_EQ(parse(ConfigValue::string("all")).report_to,
            (std::vector<std::string>{"tensorboard", "mlflow"}));
  EXPECT_EQ(parse(strings({"wandb", "mlflow"})).report_to,
            (std::vector<std::string>{"wandb", "mlflow"}));
  expect_throw_with<ConfigError>([&] { parse(ConfigValue::string("comet_ml")); },
                                 {"report_to", "comet_ml", "tensorboard"});
  expect_throw_with<ConfigError>([&] { parse(strings({"none", "mlflow"})); }, {"none"});
}

// The interpreter that has (or lacks) tensorboard and mlflow: $WIZARD_TEST_PYTHON, else the
// checkout's .venv (where CI installs them).
std::string python() {
  if (const char* chosen = std::getenv("WIZARD_TEST_PYTHON")) return chosen;
  return (source_dir() / ".venv" / "bin" / "python").string();
}

bool python_has(const std::string& module) {
  return std::system((python() + " -c 'import " + module + "' >/dev/null 2>&1").c_str()) == 0;
}

nlohmann::json run_script(const std::string& script, const fs::path& argument) {
  const fs::path out = temp_dir("python-out") / "out.json";
  const std::string command = python() + " " + WIZARD_TRACKING_SCRIPTS + "/" + script + " '" +
                              argument.string() + "' > '" + out.string() + "' 2>&1";
  const int code = std::system(command.c_str());
  const std::string text = read_text(out);
  if (code != 0) throw std::runtime_error(script + " failed:\n" + text);
  return nlohmann::json::parse(text);
}

struct TrainedRun {
  fs::path output_dir;
  std::vector<nlohmann::json> events;  // metrics.jsonl
};

TrainedRun train_reporting(const std::vector<std::string>& report_to, const std::string& name) {
  TrainedRun run;
  run.output_dir = temp_dir(name) / "out";
  RegressionTask regression;
  TrainingArguments args = quick_args(run.output_dir);
  args.num_train_epochs = 2;
  args.report_to = report_to;
  args.logging_dir = run.output_dir / "tb";
  args.mlflow_experiment_name = "regression";
  args.run_name = "tracked";
  train::TrainingTask task = regression.task(4);
  task.run_params = {{"model", "linear regression"}};
  train::Trainer(args, std::move(task)).train();
  run.events = read_jsonl(run.output_dir / "metrics.jsonl");
  return run;
}

// metric name -> (step, value) of every event that has it, as metrics.jsonl holds them.
std::map<std::string, std::vector<std::pair<int64_t, double>>> jsonl_series(
    const std::vector<nlohmann::json>& events) {
  std::map<std::string, std::vector<std::pair<int64_t, double>>> series;
  for (const auto& event : events) {
    for (const auto& item : event.items()) {
      if (item.key() != "step" && item.value().is_number()) {
        series[item.key()].emplace_back(event["step"].get<int64_t>(), item.value().get<double>());
      }
    }
  }
  return series;
}

TEST(ReportTo, TheTrainerWritesEveryEventToTensorBoardAndMlflow) {
  const TrainedRun run = train_reporting({"tensorboard", "mlflow"}, "report-to");
  const auto expected = jsonl_series(run.events);
  ASSERT_TRUE(expected.count("loss"));
  // TensorBoard: one file, the version record, then one event per metrics.jsonl line.
  const auto records = records_of(only_file_in(run.output_dir / "tb"));
  EXPECT_EQ(records.size(), run.events.size() + 1);
  // MLflow: one run in the named experiment, every metric line there.
  const fs::path store = run.output_dir / "mlruns";
  std::vector<fs::path> runs;
  for (const auto& entry : fs::directory_iterator(store)) {
    if (entry.path().filename() == "0" || !entry.is_directory()) continue;
    for (const auto& r : fs::directory_iterator(entry.path())) {
      if (r.is_directory()) runs.push_back(r.path());
    }
  }
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(read_text(runs[0] / "params" / "model"), "linear regression");
  EXPECT_EQ(read_text(runs[0] / "params" / "learning_rate"), "0.05");
  EXPECT_NE(read_text(runs[0] / "meta.yaml").find("status: 3\n"), std::string::npos);
  std::ifstream loss(runs[0] / "metrics" / "loss");
  std::size_t lines = 0;
  for (std::string line; std::getline(loss, line);) ++lines;
  EXPECT_EQ(lines, expected.at("loss").size());
}

TEST(ReportTo, TensorBoardsOwnReaderSeesTheSameScalars) {
  if (!python_has("tensorboard")) {
    GTEST_SKIP() << "the tensorboard package is not installed for " << python()
                 << " (CI installs it; set WIZARD_TEST_PYTHON to another interpreter)";
  }
  const TrainedRun run = train_reporting({"tensorboard"}, "report-to-tb");
  const nlohmann::json scalars = run_script("read_tensorboard.py", run.output_dir / "tb");
  const auto expected = jsonl_series(run.events);
  for (const auto& [name, points] : expected) {
    ASSERT_TRUE(scalars.contains(name)) << name << " missing from " << scalars.dump();
    ASSERT_EQ(scalars[name].size(), points.size()) << name;
    for (std::size_t i = 0; i < points.size(); ++i) {
      EXPECT_EQ(scalars[name][i][0].get<int64_t>(), points[i].first) << name;
      // Summaries hold float32.
      EXPECT_NEAR(scalars[name][i][1].get<double>(), points[i].second,
                  1e-6 * std::max(1.0, std::fabs(points[i].second)))
          << name;
    }
  }
}

TEST(ReportTo, MlflowsOwnClientSeesTheRun) {
  if (!python_has("mlflow")) {
    GTEST_SKIP() << "the mlflow package is not installed for " << python()
                 << " (CI installs it; set WIZARD_TEST_PYTHON to another interpreter)";
  }
  const TrainedRun run = train_reporting({"mlflow"}, "report-to-mlflow");
  const nlohmann::json store = run_script("read_mlflow.py", run.output_dir / "mlruns");
  ASSERT_EQ(store["runs"].size(), 1u) << store.dump();
  const nlohmann::json& mlflow_run = store["runs"][0];
  EXPECT_EQ(mlflow_run["experiment"], "regression");
  EXPECT_EQ(mlflow_run["name"], "tracked");
  EXPECT_EQ(mlflow_run["status"], "FINISHED");
  EXPECT_EQ(mlflow_run["params"]["model"], "linear regression");
  EXPECT_EQ(mlflow_run["tags"]["mlflow.runName"], "tracked");
  for (const auto& [name, points] : jsonl_series(run.events)) {
    ASSERT_TRUE(mlflow_run["metrics"].contains(name)) << name;
    const auto& history = mlflow_run["metrics"][name];
    ASSERT_EQ(history.size(), points.size()) << name;
    for (std::size_t i = 0; i < points.size(); ++i) {
      EXPECT_EQ(history[i][0].get<int64_t>(), points[i].first) << name;
      EXPECT_DOUBLE_EQ(history[i][1].get<double>(), points[i].second) << name;
    }
  }
}

TEST(ReportTo, WandbWritesTensorBoardEventsAndPrintsTheSyncCommand) {
  LogCapture log(spdlog::level::info);
  RegressionTask regression;
  const fs::path out = temp_dir("report-to-wandb") / "out";
  TrainingArguments args = quick_args(out);
  args.report_to = {"wandb"};
  args.logging_dir = out / "tb";
  args.wandb_project = "prefs";
  train::Trainer(args, regression.task(4)).train();
  EXPECT_EQ(records_of(only_file_in(out / "tb")).size(),
            read_jsonl(out / "metrics.jsonl").size() + 1);
  EXPECT_NE(
      log.text().find("wandb sync --sync-tensorboard --project prefs " + (out / "tb").string()),
      std::string::npos)
      << log.text();
}

}  // namespace
}  // namespace wizard::test
