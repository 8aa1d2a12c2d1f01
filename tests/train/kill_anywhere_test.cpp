// Kill anywhere: a training process (train_crash_helper --kill-anywhere: a checkpoint every
// step, rotation keeping two, resuming from the newest) is killed with SIGKILL at random
// moments — during steps, saves and rotation, before its first checkpoint — and started again
// each time until it finishes. Its metrics and final weights must equal those of a run that
// was never killed, bit for bit. WIZARD_TEST_SEED changes the moments.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "test_support.hpp"
#include "train_test_support.hpp"
#include "wizard/model/safetensors.hpp"
#include "wizard/train/checkpoint.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Runs the helper in `dir` and kills it `kill_after` into its training (start-up excluded)
// unless it ends first. Returns whether it finished (exit 0).
bool run_helper(const fs::path& dir, std::chrono::milliseconds kill_after) {
  const fs::path started = dir.string() + ".started";
  fs::remove(started);
  const pid_t child = wizard::test::start_crash_helper({"--kill-anywhere", dir.string()});
  int status = 0;
  auto finished = [&] {
    if (::waitpid(child, &status, WNOHANG) != child) return false;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "helper status " << status;
    return true;
  };
  const auto start_deadline = Clock::now() + std::chrono::minutes(2);
  while (!fs::exists(started) && Clock::now() < start_deadline) {
    if (finished()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const auto deadline = Clock::now() + kill_after;
  while (Clock::now() < deadline) {
    if (finished()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;  // it may have just finished
}

void expect_same_weights(const fs::path& a, const fs::path& b) {
  const auto x = wizard::safetensors::File::open(a);
  const auto y = wizard::safetensors::File::open(b);
  ASSERT_EQ(x.tensors().size(), y.tensors().size());
  for (const auto& info : x.tensors()) {
    EXPECT_TRUE(at::equal(x.load(info.name), y.load(info.name))) << info.name;
  }
}

}  // namespace

TEST(KillAnywhere, RunsKilledAtRandomMomentsEndAsTheUninterruptedRun) {
  const fs::path reference = wizard::test::temp_dir("kill-anywhere-reference");
  ASSERT_TRUE(run_helper(reference, std::chrono::minutes(2)));
  // The reference's training time, from its .started marker to its last file.
  const auto whole = std::chrono::duration_cast<std::chrono::milliseconds>(
      fs::last_write_time(reference / "trainer_state.json") -
      fs::last_write_time(reference.string() + ".started"));

  const char* seed_text = std::getenv("WIZARD_TEST_SEED");
  std::mt19937 random(seed_text ? static_cast<unsigned>(std::atoi(seed_text)) : 15u);
  // Up to a third of the training: each kill loses the step in progress, so the run is killed
  // several times (before its first checkpoint, in steps, saves and rotation) before it ends.
  std::uniform_int_distribution<long> moment(0, std::max<long>(whole.count() / 3, 10));
  const fs::path dir = wizard::test::temp_dir("kill-anywhere");
  int kills = 0;
  bool finished = false;
  std::string moments;
  while (!finished && kills < 20) {
    const auto after = std::chrono::milliseconds(moment(random));
    finished = run_helper(dir, after);
    if (!finished) {
      ++kills;
      moments += std::to_string(after.count()) + " ms, ";
    }
  }
  if (!finished) finished = run_helper(dir, std::chrono::minutes(2));
  ASSERT_TRUE(finished);
  SCOPED_TRACE("killed after " + moments + "then finished");
  EXPECT_GE(kills, 3) << "the run ended before enough kills; the moments are too late";

  EXPECT_EQ(wizard::test::without_timing(wizard::test::read_jsonl(dir / "metrics.jsonl")),
            wizard::test::without_timing(wizard::test::read_jsonl(reference / "metrics.jsonl")));
  expect_same_weights(dir / "model.safetensors", reference / "model.safetensors");
  expect_same_weights(dir / "checkpoint-12" / "model.safetensors",
                      reference / "checkpoint-12" / "model.safetensors");
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(name[0] != '.' || name == ".wizard.lock") << "left behind: " << name;
  }
}
