// Checkpoints and resume on the regression task: what a checkpoint holds, rotation, failed
// and killed saves, and a resumed run that repeats the uninterrupted one bit for bit.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <fstream>

#include "test_support.hpp"
#include "train_test_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/run_folder_lock.hpp"
#include "wizard/model/safetensors.hpp"
#include "wizard/train/checkpoint.hpp"
#include "wizard/train/trainer.hpp"

namespace fs = std::filesystem;
using wizard::test::events_with;
using wizard::test::expect_throw_with;
using wizard::test::quick_args;
using wizard::test::RegressionTask;
using wizard::train::Interval;
using wizard::train::Trainer;

namespace {

std::vector<std::string> hidden_entries(const fs::path& folder) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (name[0] == '.' && name != wizard::RunFolderLock::file_name()) out.push_back(name);
  }
  return out;
}

wizard::train::TrainingArguments resumable_args(const fs::path& dir) {
  auto args = quick_args(dir);
  args.num_train_epochs = 2;
  args.gradient_accumulation_steps = 2;  // 12 examples, 1 per micro-batch: 6 steps per epoch
  args.save_strategy = Interval::steps;
  args.save_steps = 3;
  args.warmup_steps = 2;
  args.weight_decay = 0.1;
  args.learning_rate = 0.02;
  return args;
}

}  // namespace

TEST(Checkpoints, HoldModelOptimizerSchedulerRngAndPosition) {
  RegressionTask task(12);
  auto args = resumable_args(wizard::test::temp_dir("contents"));
  Trainer(args, task.task(1)).train();
  const fs::path checkpoint = args.output_dir / "checkpoint-3";
  for (const char* name :
       {"model.safetensors", "config.json", "trainer_state.json", "training_args.json",
        "optimizer.safetensors", "scheduler.json", "rng_state.safetensors", "wizard_state.json"}) {
    EXPECT_TRUE(fs::is_regular_file(checkpoint / name)) << name;
  }
  const auto state = wizard::test::read_json(checkpoint / "trainer_state.json");
  EXPECT_EQ(state["global_step"], 3);
  EXPECT_DOUBLE_EQ(state["epoch"].get<double>(), 0.5);
  EXPECT_EQ(state["log_history"].size(), 3u);
  EXPECT_TRUE(state.contains("best_model_checkpoint"));
  const auto position = wizard::test::read_json(checkpoint / "wizard_state.json");
  EXPECT_EQ(position["epoch_index"], 0);
  EXPECT_EQ(position["next_micro_batch"], 6);
  EXPECT_EQ(wizard::test::read_json(checkpoint / "scheduler.json")["steps_taken"], 3);
  const auto optimizer = wizard::safetensors::File::open(checkpoint / "optimizer.safetensors");
  for (const auto& [name, parameter] : task.parameters) {
    EXPECT_TRUE(optimizer.contains("exp_avg." + name)) << name;
    EXPECT_TRUE(optimizer.contains("exp_avg_sq." + name)) << name;
    EXPECT_EQ(optimizer.load("step." + name).item<int64_t>(), 3);
  }
  EXPECT_TRUE(
      wizard::safetensors::File::open(checkpoint / "rng_state.safetensors").contains("cpu"));
  // The run ends with a checkpoint at its last step (save_strategy "steps") and the final model.
  EXPECT_TRUE(fs::is_directory(args.output_dir / "checkpoint-12"));
  EXPECT_TRUE(fs::is_regular_file(args.output_dir / "model.safetensors"));
  EXPECT_TRUE(fs::is_regular_file(args.output_dir / "trainer_state.json"));
  EXPECT_TRUE(hidden_entries(args.output_dir).empty());
}

TEST(Checkpoints, ResumedRunRepeatsTheUninterruptedOneExactly) {
  for (auto dtype : {at::kFloat, at::kBFloat16}) {
    SCOPED_TRACE(c10::toString(dtype));
    RegressionTask uninterrupted(12, 4, 3, dtype);
    const fs::path reference = wizard::test::temp_dir("uninterrupted");
    auto args = resumable_args(reference);
    Trainer(args, uninterrupted.task(1)).train();

    // The same run, killed by an error in step 8 (after checkpoint-6), then resumed.
    RegressionTask crashed(12, 4, 3, dtype);
    args.output_dir = wizard::test::temp_dir("crashed");
    auto training = crashed.task(1);
    training.compute = [&](const wizard::train::MicroBatch& batch) {
      if (crashed.losses_seen.size() == 15) throw std::runtime_error("simulated crash");
      return crashed.compute(batch);
    };
    EXPECT_THROW(Trainer(args, training).train(), std::runtime_error);
    EXPECT_EQ(wizard::train::latest_checkpoint(args.output_dir), args.output_dir / "checkpoint-6");

    RegressionTask resumed(12, 4, 3, dtype);
    args.resume_from_latest_checkpoint = true;
    const auto result = Trainer(args, resumed.task(1)).train();
    EXPECT_EQ(result.global_step, 12);
    wizard::test::expect_resumed_as_uninterrupted(resumed, uninterrupted, 12, args.output_dir,
                                                  reference);
  }
}

TEST(Checkpoints, FailedSaveKeepsThePreviousCheckpoint) {
  RegressionTask task(12);
  auto args = resumable_args(wizard::test::temp_dir("failed-save"));
  auto training = task.task(1);
  int saves = 0;
  training.save_model = [&](const fs::path& folder) {
    task.save(folder);
    if (++saves == 2) throw wizard::Error("disk full while writing " + folder.string());
  };
  expect_throw_with<wizard::Error>([&] { Trainer(args, training).train(); }, {"disk full"});
  EXPECT_EQ(wizard::train::list_checkpoints(args.output_dir),
            std::vector<fs::path>{args.output_dir / "checkpoint-3"});
  EXPECT_TRUE(wizard::train::is_resumable_checkpoint(args.output_dir / "checkpoint-3"));
  EXPECT_TRUE(hidden_entries(args.output_dir).empty());

  RegressionTask resumed(12);
  args.resume_from_latest_checkpoint = true;
  EXPECT_EQ(Trainer(args, resumed.task(1)).train().global_step, 12);
}

TEST(Checkpoints, CarryTheRecipesOwnState) {
  RegressionTask task(12);
  auto args = resumable_args(wizard::test::temp_dir("recipe-state"));
  args.max_steps = 3;
  auto training = task.task(1);
  training.save_state = [&] { return nlohmann::json{{"computed", task.losses_seen.size()}}; };
  Trainer(args, training).train();

  RegressionTask resumed(12);
  args.max_steps = 6;
  args.resume_from_latest_checkpoint = true;
  auto again = resumed.task(1);
  nlohmann::json restored;
  again.load_state = [&](const nlohmann::json& state) { restored = state; };
  Trainer(args, again).train();
  EXPECT_EQ(restored, (nlohmann::json{{"computed", 6}}));
}

TEST(Checkpoints, SaveOnlyModelCannotBeResumed) {
  RegressionTask task(12);
  auto args = resumable_args(wizard::test::temp_dir("only-model"));
  args.save_only_model = true;
  Trainer(args, task.task(1)).train();
  const fs::path checkpoint = args.output_dir / "checkpoint-3";
  EXPECT_TRUE(fs::is_regular_file(checkpoint / "model.safetensors"));
  EXPECT_TRUE(fs::is_regular_file(checkpoint / "trainer_state.json"));
  EXPECT_FALSE(fs::exists(checkpoint / "optimizer.safetensors"));
  args.resume_from_checkpoint = checkpoint;
  RegressionTask again(12);
  expect_throw_with<wizard::ConfigError>([&] { Trainer(args, again.task(1)).train(); },
                                         {"cannot resume from", "save_only_model = true"});
}

TEST(Checkpoints, RotationKeepsTheNewestAndTheBest) {
  RegressionTask task(10);
  auto args = quick_args(wizard::test::temp_dir("best"));
  args.save_strategy = Interval::steps;
  args.save_steps = 1;
  args.save_total_limit = 2;
  args.eval_strategy = Interval::steps;
  args.eval_steps = 1;
  args.metric_for_best_model = "loss";
  args.greater_is_better = false;
  auto training = task.task(2);                                       // 5 steps
  const std::vector<double> eval_losses = {0.9, 0.5, 0.7, 0.8, 0.6};  // best at step 2
  std::size_t evaluation = 0;
  training.evaluate = [&] {
    wizard::train::EvalResult result;
    result.metrics = {{"loss", eval_losses.at(evaluation++)}};
    return result;
  };
  Trainer(args, training).train();
  EXPECT_EQ(
      wizard::train::list_checkpoints(args.output_dir),
      (std::vector<fs::path>{args.output_dir / "checkpoint-2", args.output_dir / "checkpoint-5"}));
  const auto state =
      wizard::test::read_json(args.output_dir / "checkpoint-5" / "trainer_state.json");
  EXPECT_EQ(state["best_model_checkpoint"], (args.output_dir / "checkpoint-2").string());
  EXPECT_EQ(state["best_metric"], 0.5);
  EXPECT_EQ(state["best_global_step"], 2);
}

TEST(Checkpoints, EpochStrategySavesTheLastStepOnceAfterItsEvaluation) {
  // HF saves at the last step and again at the epoch end after evaluating; the final
  // checkpoint holds that evaluation.
  RegressionTask task(10);
  auto args = quick_args(wizard::test::temp_dir("epoch-save"));
  args.num_train_epochs = 2;
  args.max_steps = 7;  // stops part-way through epoch 2
  args.save_strategy = Interval::epoch;
  args.eval_strategy = Interval::epoch;
  auto training = task.task(2);  // 5 steps per epoch
  std::vector<std::string> saved;
  training.save_model = [&](const fs::path& folder) {
    saved.push_back(folder.filename().string());
    task.save(folder);
  };
  training.evaluate = [] { return wizard::train::EvalResult{{{"loss", 1.0}}, 0, 0}; };
  Trainer(args, training).train();
  ASSERT_EQ(saved.size(), 3u);  // epoch 1, the stop, the final model
  EXPECT_EQ(
      wizard::train::list_checkpoints(args.output_dir),
      (std::vector<fs::path>{args.output_dir / "checkpoint-5", args.output_dir / "checkpoint-7"}));
  const auto state =
      wizard::test::read_json(args.output_dir / "checkpoint-7" / "trainer_state.json");
  EXPECT_EQ(
      events_with(state["log_history"].get<std::vector<nlohmann::json>>(), "eval_loss").size(), 2u);
}

TEST(Checkpoints, ExistingCheckpointsNeedResumeOrOverwrite) {
  const auto dir = wizard::test::temp_dir("existing");
  RegressionTask first(12);
  auto args = resumable_args(dir);
  Trainer(args, first.task(1)).train();
  RegressionTask second(12);
  expect_throw_with<wizard::ConfigError>(
      [&] { Trainer(args, second.task(1)).train(); },
      {"already holds checkpoints", "resume_from_checkpoint = true",
       "overwrite_output_dir = true"});
  args.overwrite_output_dir = true;
  args.save_strategy = Interval::no;
  Trainer(args, second.task(1)).train();
  EXPECT_TRUE(wizard::train::list_checkpoints(dir).empty());
}

TEST(Checkpoints, ResumeWithoutACheckpointStartsFromTheBeginning) {
  // A run killed before its first checkpoint leaves metrics.jsonl and the host's files: a fresh
  // run is refused (it would overwrite an earlier run) and points at resume_from_checkpoint,
  // which then starts over with a note instead of refusing in turn.
  const fs::path dir = wizard::test::temp_dir("nothing-to-resume");
  std::ofstream(dir / "metrics.jsonl") << "{\"step\":1,\"epoch\":0.25,\"loss\":1.0}\n";
  std::ofstream(dir / "resolved_config.toml") << "# the killed run's\n";
  RegressionTask task(4);
  auto args = quick_args(dir);
  expect_throw_with<wizard::ConfigError>(
      [&] { Trainer(args, task.task(1)).train(); },
      {"already holds an earlier run (metrics.jsonl)", "resume_from_checkpoint = true"});
  args.resume_from_latest_checkpoint = true;
  wizard::test::LogCapture log;
  RegressionTask fresh(4), reference(4);
  EXPECT_EQ(Trainer(args, fresh.task(1)).train().global_step, 4);
  EXPECT_NE(log.text().find("holds no checkpoint yet"), std::string::npos) << log.text();
  EXPECT_NE(log.text().find("starting from the beginning"), std::string::npos) << log.text();
  auto clean = quick_args(wizard::test::temp_dir("nothing-to-resume-reference"));
  Trainer(clean, reference.task(1)).train();
  EXPECT_EQ(fresh.losses_seen, reference.losses_seen);
}

TEST(Checkpoints, KilledDuringASaveLeavesTheLastCheckpointUsable) {
  // A child process trains with a checkpoint every step and is killed (SIGKILL) in the middle
  // of writing its third checkpoint; see train_crash_helper.cpp.
  const fs::path dir = wizard::test::temp_dir("killed");
  const pid_t child = wizard::test::start_crash_helper({dir.string()});
  wizard::test::wait_for_file(dir / "saving-3", 120);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(fs::exists(dir / "saving-3")) << "the helper never reached its third save";
  ASSERT_TRUE(WIFSIGNALED(status));

  // The half-written folder exists only under a hidden staging name.
  EXPECT_EQ(wizard::train::list_checkpoints(dir),
            (std::vector<fs::path>{dir / "checkpoint-1", dir / "checkpoint-2"}));
  EXPECT_FALSE(hidden_entries(dir).empty());
  EXPECT_TRUE(wizard::train::is_resumable_checkpoint(dir / "checkpoint-2"));

  RegressionTask resumed(8);
  auto args = quick_args(dir);
  args.save_strategy = Interval::steps;
  args.save_steps = 1;
  args.resume_from_latest_checkpoint = true;
  EXPECT_EQ(Trainer(args, resumed.task(2)).train().global_step, 4);
  EXPECT_TRUE(hidden_entries(dir).empty());  // the dead process's staging folder was removed
  EXPECT_TRUE(fs::is_directory(dir / "checkpoint-4"));
}
