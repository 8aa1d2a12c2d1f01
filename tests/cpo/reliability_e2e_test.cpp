// The cpo recipe through the wizard binary, as a hostile user tries it: a signal in the middle
// of training, a second run into a running run's folder, absurd numbers, a validation
// strategy without validation data, rows that cannot teach a preference.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "run_outputs.hpp"

extern char** environ;

namespace fs = std::filesystem;
using wizard::test::metric_series;
using wizard::test::read_metrics;
using wizard::test::run_wizard;
using wizard::test::RunResult;
using wizard::test::synthetic_config;

namespace {

// `wizard run config.toml` in `dir`, in the background, its output in dir/run-output.txt.
pid_t start_run(const fs::path& dir) {
  const std::string command = "cd '" + dir.string() + "' && exec '" +
                              wizard::test::wizard_binary().string() +
                              "' run config.toml > run-output.txt 2>&1";
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t child = 0;
  if (::posix_spawn(&child, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) {
    return -1;
  }
  return child;
}

std::size_t logged_losses(const fs::path& output_dir) {
  try {
    return metric_series(read_metrics(output_dir), "loss").size();
  } catch (const std::exception&) {
    return 0;  // not written yet
  }
}

}  // namespace

TEST(CpoReliability, SigtermStopsWithACheckpointAndTheResumeEndsAsAnUninterruptedRun) {
  const std::string args = "max_steps = 120\n";  // synthetic_config logs every step
  const fs::path whole = synthetic_config("sigterm-whole", args, 200);
  ASSERT_EQ(run_wizard("run config.toml", whole).exit_code, 0);

  const fs::path dir = synthetic_config("sigterm", args, 200);
  const pid_t run = start_run(dir);
  ASSERT_GT(run, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (logged_losses(dir / "out") < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(logged_losses(dir / "out"), 3u);

  // A second run into the folder (a resume, say) while the first still trains is refused.
  const RunResult second =
      run_wizard("run config.toml --set training_args_spec.resume_from_checkpoint=true", dir);
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_CONTAINS(second.output, "out is in use by process " + std::to_string(run));

  ::kill(run, SIGTERM);
  int status = 0;
  ::waitpid(run, &status, 0);
  const std::string output = wizard::test::read_text(dir / "run-output.txt");
  ASSERT_TRUE(WIFEXITED(status)) << output;
  EXPECT_EQ(WEXITSTATUS(status), 143) << output;
  EXPECT_CONTAINS(output, "training stopped by SIGTERM after step");
  EXPECT_CONTAINS(output, "--set training_args_spec.resume_from_checkpoint=true");
  ASSERT_LT(logged_losses(dir / "out"), 120u) << "the run ended before the signal";
  bool has_checkpoint = false;
  for (const auto& entry : fs::directory_iterator(dir / "out")) {
    has_checkpoint |= entry.path().filename().string().rfind("checkpoint-", 0) == 0;
  }
  EXPECT_TRUE(has_checkpoint);
  EXPECT_FALSE(fs::exists(dir / "out" / "model.safetensors"));

  const RunResult resumed =
      run_wizard("run config.toml --set training_args_spec.resume_from_checkpoint=true", dir);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(metric_series(read_metrics(dir / "out"), "loss"),
            metric_series(read_metrics(whole / "out"), "loss"));  // bit for bit
}

TEST(CpoReliability, AbsurdNumbersAreRefusedNamingKeyAndRange) {
  const fs::path dir = synthetic_config("absurd-numbers", "max_steps = 1\n", 40);
  const std::pair<std::string, std::string> cases[] = {
      {"training_args_spec.num_train_epochs=1e300",
       "training_args_spec.num_train_epochs: must be a finite number in [0, 1e+06]"},
      {"training_args_spec.max_steps=9223372036854775807",
       "training_args_spec.max_steps: must be an integer in [-1, 1000000000000]"},
      {"training_args_spec.learning_rate=nan",
       "training_args_spec.learning_rate must be a finite number"},
      {"training_args_spec.learning_rate=1e308",
       "training_args_spec.learning_rate: must be a finite number in [0, 10]"},
      {"training_args_spec.threads=100000", "training_args_spec.threads: is 100000"},
      {"training_args_spec.logits_chunk_size=0",
       "training_args_spec.logits_chunk_size: must be an integer in [1, 16777216]"},
      {"training_args_spec.max_length=0",
       "training_args_spec.max_length: must be an integer in [1, 1073741824]"},
      {"dataset_spec.rows=99999999999", "dataset_spec.rows: must be an integer in [1, 100000000]"},
  };
  for (const auto& [set, message] : cases) {
    SCOPED_TRACE(set);
    const RunResult r = run_wizard("check config.toml --set " + set, dir);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_CONTAINS(r.output, message);
    EXPECT_CONTAINS(r.output, "--set " + set);  // where the value was written
  }
}

TEST(CpoReliability, AnEvalStrategyWithoutValidationDataIsAnError) {
  const fs::path dir = synthetic_config("eval-no-validation", "", 40);
  std::string text = wizard::test::read_text(dir / "config.toml");
  text.replace(text.find("validation = 24\n"), 16, "");
  std::ofstream(dir / "config.toml") << text;
  const RunResult r =
      run_wizard("check config.toml --set training_args_spec.eval_strategy=steps", dir);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_CONTAINS(r.output,
                  "training_args_spec.eval_strategy = \"steps\" evaluates on "
                  "validation data, but this config has none");
  // training-wizard's default ("epoch") only turns evaluation off, with a note.
  const RunResult defaults = run_wizard(
      "check config.toml --set 'training_args_spec={output_dir = \"out\", bf16 = false}'", dir);
  EXPECT_EQ(defaults.exit_code, 0) << defaults.output;
  EXPECT_CONTAINS(defaults.output, "evaluation is off");
}

TEST(CpoReliability, RowsWithoutAPreferenceAreSkippedAndCounted) {
  const fs::path dir = synthetic_config("unusable-rows", "max_steps = 1\n", 40);
  std::string text = wizard::test::read_text(dir / "config.toml");
  text.replace(text.find("validation = 24\n"), 16, "");  // every row trains
  std::ofstream(dir / "config.toml") << text;
  std::ofstream(dir / "rows.jsonl")
      << "{\"prompt\": \"a\", \"chosen\": \" A\", \"rejected\": \" b\"}\n"
         "{\"prompt\": \"c\", \"chosen\": \"\", \"rejected\": \" d\"}\n"
         "{\"prompt\": \"e\", \"chosen\": \" E\", \"rejected\": \" E\"}\n"
         "{\"prompt\": \"f\", \"chosen\": \" F\", \"rejected\": \" g\"}\n";
  const std::string data =
      " --set 'dataset_spec={spec_class = \"jsonl\", data_files = \"rows.jsonl\"}'";
  const RunResult check = run_wizard("check config.toml" + data, dir);
  ASSERT_EQ(check.exit_code, 0) << check.output;
  EXPECT_CONTAINS(check.output, "rows.jsonl:2: skipped train row");
  EXPECT_CONTAINS(check.output,
                  "2 rows skipped (2 with an empty or repeated answer; the first at "
                  "rows.jsonl:2)");
  const RunResult run = run_wizard("run config.toml" + data, dir);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_CONTAINS(run.output, "training data: 2 rows skipped");
  EXPECT_CONTAINS(wizard::test::read_text(dir / "out" / "wizard.log"),
                  "its rejected answer equals the chosen one");
}
