// Damaged checkpoints, full disks and bad weights: each is refused or reported with what
// is wrong, where, and what to do instead (resume_from_checkpoint = "auto", an earlier
// checkpoint), and nothing is left claiming a success that did not happen.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <fstream>
#include <limits>

#include "test_support.hpp"
#include "train_test_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/model/safetensors.hpp"
#include "wizard/train/checkpoint.hpp"
#include "wizard/train/metrics_log.hpp"
#include "wizard/train/trainer.hpp"

namespace fs = std::filesystem;
using wizard::test::expect_throw_with;
using wizard::test::quick_args;
using wizard::test::RegressionTask;
using wizard::train::Interval;
using wizard::train::Trainer;

namespace {

// 12 steps, a checkpoint every 3; stopped after `steps`.
wizard::train::TrainingArguments saving_args(const fs::path& dir, int64_t steps) {
  auto args = quick_args(dir);
  args.num_train_epochs = 2;
  args.gradient_accumulation_steps = 2;
  args.save_strategy = Interval::steps;
  args.save_steps = 3;
  args.max_steps = steps;
  args.lr_scheduler_type = "constant";  // the same rates whatever max_steps says
  return args;
}

// A run stopped after step 6, with checkpoint-3 and checkpoint-6.
fs::path two_checkpoints(const std::string& name) {
  const fs::path dir = wizard::test::temp_dir(name);
  RegressionTask task(12);
  Trainer(saving_args(dir, 6), task.task(1)).train();
  return dir;
}

void truncate_half(const fs::path& file) {
  fs::resize_file(file, fs::file_size(file) / 2);
}

}  // namespace

TEST(DamagedCheckpoint, ATruncatedOptimizerFileNamesThePreviousCompleteCheckpoint) {
  const fs::path dir = two_checkpoints("damaged-optimizer");
  truncate_half(dir / "checkpoint-6" / "optimizer.safetensors");
  auto args = saving_args(dir, 9);
  args.resume_from_latest_checkpoint = true;
  RegressionTask task(12);
  expect_throw_with<wizard::ConfigError>(
      [&] { Trainer(args, task.task(1)).train(); },
      {"cannot resume from " + (dir / "checkpoint-6").string(), "optimizer.safetensors",
       "The previous complete checkpoint is " + (dir / "checkpoint-3").string(),
       "resume_from_checkpoint = \"auto\""});
}

TEST(DamagedCheckpoint, AutoResumesFromTheNewestCompleteCheckpoint) {
  const fs::path dir = two_checkpoints("damaged-auto");
  std::ofstream(dir / "checkpoint-6" / "wizard_state.json") << "{\"epoch_index\": ";
  EXPECT_NE(wizard::train::checkpoint_damage(dir / "checkpoint-6")
                ->find("wizard_state.json is not valid JSON"),
            std::string::npos);
  auto args = saving_args(dir, 9);
  args.resume_from_latest_checkpoint = true;
  args.resume_skips_damaged = true;  // resume_from_checkpoint = "auto"
  wizard::test::LogCapture log;
  RegressionTask resumed(12);
  EXPECT_EQ(Trainer(args, resumed.task(1)).train().global_step, 9);
  EXPECT_EQ(resumed.losses_seen.size(), 12u);  // steps 4 to 9 from checkpoint-3
  EXPECT_NE(log.text().find("skipping " + (dir / "checkpoint-6").string()), std::string::npos)
      << log.text();
  // The same steps as a run that was never damaged.
  RegressionTask reference(12);
  Trainer(saving_args(wizard::test::temp_dir("damaged-auto-reference"), 9), reference.task(1))
      .train();
  for (std::size_t i = 0; i < resumed.parameters.size(); ++i) {
    EXPECT_TRUE(at::equal(resumed.parameters[i].second, reference.parameters[i].second));
  }
}

TEST(DamagedCheckpoint, AMissingRngStateIsNamedExactly) {
  const fs::path dir = two_checkpoints("missing-rng");
  fs::remove(dir / "checkpoint-6" / "rng_state.safetensors");
  auto args = saving_args(dir, 9);
  args.resume_from_checkpoint = dir / "checkpoint-6";
  RegressionTask task(12);
  expect_throw_with<wizard::ConfigError>(
      [&] { Trainer(args, task.task(1)).train(); },
      {"it lacks rng_state.safetensors (the random generators' states)"});
}

TEST(DamagedCheckpoint, NonFiniteWeightsAreRefusedWithTheTensorsName) {
  const fs::path dir = two_checkpoints("nan-weight");
  RegressionTask task(12);
  wizard::safetensors::NamedTensors tensors;
  for (const auto& [name, value] : task.parameters) tensors.emplace_back(name, value.detach());
  tensors[1].second = tensors[1].second.clone();
  tensors[1].second[1] = std::numeric_limits<float>::quiet_NaN();
  wizard::safetensors::save(dir / "checkpoint-6" / "model.safetensors", tensors);
  auto args = saving_args(dir, 9);
  args.resume_from_latest_checkpoint = true;
  expect_throw_with<wizard::Error>(
      [&] { Trainer(args, task.task(1)).train(); },
      {"weight '" + task.parameters[1].first + "'", "1 NaN or infinite value(s)", "flat index 1"});
}

TEST(DiskFull, MetricsLogKeepsWholeLinesWhenAWriteFails) {
  // A file size limit stands in for a full disk: the write stops part-way through a line.
  const fs::path path = wizard::test::temp_dir("metrics-full") / "metrics.jsonl";
  wizard::train::MetricsLog log(path);
  log.restart({});
  log.append({{"step", 1}, {"loss", 0.5}});
  const auto whole = fs::file_size(path);
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto previous_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = whole + 10;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string message;
  try {
    log.append({{"step", 2}, {"a_long_metric_name_that_does_not_fit", 0.25}});
  } catch (const wizard::Error& error) {
    message = error.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  ::signal(SIGXFSZ, previous_handler);
  EXPECT_NE(message.find("cannot write to " + path.string()), std::string::npos) << message;
  EXPECT_NE(message.find("step 2 was not written"), std::string::npos) << message;
  EXPECT_EQ(fs::file_size(path), whole);
  EXPECT_EQ(wizard::test::read_text(path), "{\"step\":1,\"loss\":0.5}\n");
}

TEST(DiskFull, AFinalModelThatCannotBeSavedSaysWhereTheWeightsAre) {
  const fs::path dir = wizard::test::temp_dir("final-save-fails");
  RegressionTask task(12);
  auto args = saving_args(dir, 6);
  auto training = task.task(1);
  int saves = 0;
  training.save_model = [&](const fs::path& folder) {
    if (++saves == 3) throw wizard::Error("No space left on device");  // after checkpoint-6
    task.save(folder);
  };
  expect_throw_with<wizard::Error>(
      [&] { Trainer(args, training).train(); },
      {"training finished (step 6), but the final model could not be written to " + dir.string(),
       "No space left on device", "The trained weights were not saved there",
       (dir / "checkpoint-6").string() + " holds them", "resume_from_checkpoint = true"});
  EXPECT_FALSE(fs::exists(dir / "trainer_state.json"));  // nothing claims the run finished
  EXPECT_FALSE(fs::exists(dir / "model.safetensors"));

  // After freeing space, the resume writes the final model without training further.
  RegressionTask resumed(12);
  args.resume_from_latest_checkpoint = true;
  EXPECT_EQ(Trainer(args, resumed.task(1)).train().global_step, 6);
  EXPECT_TRUE(resumed.losses_seen.empty());
  EXPECT_TRUE(fs::exists(dir / "model.safetensors"));
  EXPECT_TRUE(fs::exists(dir / "trainer_state.json"));
}
