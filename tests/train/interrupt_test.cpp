// A run owns its output folder, and stops gracefully on SIGINT/SIGTERM: the step in progress
// finishes, a checkpoint is saved, the message says how to resume, and a resumed run ends as
// the uninterrupted one would. A second signal stops at once.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "test_support.hpp"
#include "train_test_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/stop_request.hpp"
#include "wizard/train/checkpoint.hpp"
#include "wizard/train/trainer.hpp"

namespace fs = std::filesystem;
using wizard::test::expect_throw_with;
using wizard::test::quick_args;
using wizard::test::RegressionTask;
using wizard::train::Interval;
using wizard::train::Trainer;

namespace {

wizard::train::TrainingArguments interruptible_args(const fs::path& dir) {
  auto args = quick_args(dir);
  args.num_train_epochs = 2;
  args.gradient_accumulation_steps = 2;  // 12 examples of 1: 6 steps per epoch
  args.save_strategy = Interval::no;     // only the interrupt saves
  args.warmup_steps = 2;
  return args;
}

// Exit status of a child, waiting at most `seconds`; -1 when it is still running.
int wait_exit(pid_t child, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(child, &status, WNOHANG) == child) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

}  // namespace

TEST(RunFolder, ASecondProcessIsRefusedWithTheHoldersProcessId) {
  const fs::path dir = wizard::test::temp_dir("locked");
  // Another process holds the folder as wizard does (flock on .wizard.lock, its pid inside).
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t holder = ::fork();
  if (holder == 0) {
    const int fd = ::open((dir / ".wizard.lock").c_str(), O_RDWR | O_CREAT, 0644);
    const std::string text = "pid " + std::to_string(::getpid()) + "\ncommand wizard run a.toml\n";
    if (fd < 0 || ::flock(fd, LOCK_EX) != 0 || ::write(fd, text.data(), text.size()) < 0) _exit(1);
    if (::write(ready[1], "x", 1) != 1) _exit(1);
    ::pause();
    _exit(0);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  RegressionTask task(4);
  expect_throw_with<wizard::Error>(
      [&] { Trainer(quick_args(dir), task.task(1)).train(); },
      {dir.string() + " is in use by process " + std::to_string(holder), "`wizard run a.toml`",
       "choose another folder"});
  EXPECT_TRUE(task.losses_seen.empty());  // refused before anything ran
  // The operating system releases the lock with the process, however it ends.
  ::kill(holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);
  EXPECT_EQ(Trainer(quick_args(dir), task.task(1)).train().global_step, 4);
}

TEST(Interrupt, FinishesTheStepSavesACheckpointAndResumesExactly) {
  RegressionTask uninterrupted(12);
  const fs::path reference = wizard::test::temp_dir("interrupt-reference");
  auto args = interruptible_args(reference);
  Trainer(args, uninterrupted.task(1)).train();

  // SIGINT arrives during the first micro-batch of step 4: that step completes, then the run
  // saves checkpoint-4 and stops.
  RegressionTask interrupted(12);
  args.output_dir = wizard::test::temp_dir("interrupted");
  auto training = interrupted.task(1);
  training.compute = [&](const wizard::train::MicroBatch& batch) {
    if (interrupted.losses_seen.size() == 6) ::raise(SIGINT);
    return interrupted.compute(batch);
  };
  try {
    Trainer(args, training).train();
    FAIL() << "expected wizard::Interrupted";
  } catch (const wizard::Interrupted& stopped) {
    EXPECT_EQ(stopped.signal(), SIGINT);
    const std::string message = stopped.what();
    for (const std::string& fragment : {std::string("stopped by SIGINT after step 4 of 12"),
                                        (args.output_dir / "checkpoint-4").string(),
                                        std::string("resume_from_checkpoint = true")}) {
      EXPECT_NE(message.find(fragment), std::string::npos) << message;
    }
  }
  EXPECT_EQ(interrupted.losses_seen.size(), 8u);  // step 4's second micro-batch ran too
  EXPECT_EQ(wizard::stop_requested(), SIGINT);
  EXPECT_FALSE(wizard::train::checkpoint_damage(args.output_dir / "checkpoint-4"));
  EXPECT_FALSE(fs::exists(args.output_dir / "trainer_state.json"));  // the run did not finish
  EXPECT_FALSE(fs::exists(args.output_dir / "model.safetensors"));

  // The process survived the signal; a new run resumes (and clears the old request).
  RegressionTask resumed(12);
  args.resume_from_latest_checkpoint = true;
  EXPECT_EQ(Trainer(args, resumed.task(1)).train().global_step, 12);
  EXPECT_EQ(wizard::stop_requested(), 0);
  wizard::test::expect_resumed_as_uninterrupted(resumed, uninterrupted, 8, args.output_dir,
                                                reference);
}

TEST(Interrupt, SaveOnInterruptFalseStopsWithoutSaving) {
  RegressionTask task(12);
  auto args = interruptible_args(wizard::test::temp_dir("interrupt-no-save"));
  args.save_on_interrupt = false;
  auto training = task.task(1);
  training.compute = [&](const wizard::train::MicroBatch& batch) {
    if (task.losses_seen.size() == 2) ::raise(SIGTERM);
    return task.compute(batch);
  };
  expect_throw_with<wizard::Interrupted>([&] { Trainer(args, training).train(); },
                                         {"stopped by SIGTERM after step 2 of 12",
                                          "save_on_interrupt = false", "no checkpoint was saved"});
  EXPECT_TRUE(wizard::train::list_checkpoints(args.output_dir).empty());
}

TEST(Interrupt, SigtermStopsAProcessAfterItsStepWithExitStatus143) {
  const fs::path dir = wizard::test::temp_dir("sigterm");
  const pid_t child = wizard::test::start_crash_helper({"--signal", dir.string()});
  ASSERT_TRUE(wizard::test::wait_for_file(dir / "step-2", 120));
  ::kill(child, SIGTERM);
  EXPECT_EQ(wait_exit(child, 60), 143);
  const auto checkpoints = wizard::train::list_checkpoints(dir);
  ASSERT_EQ(checkpoints.size(), 1u);
  EXPECT_FALSE(wizard::train::checkpoint_damage(checkpoints.front()));
  EXPECT_GE(*wizard::train::checkpoint_step(checkpoints.front()), 2);
}

TEST(Interrupt, ASecondSignalStopsAtOnce) {
  // Each save of this helper takes 3 s: the second SIGINT arrives during the interrupt's save
  // and ends the process without waiting for it; the half-written checkpoint stays hidden.
  const fs::path dir = wizard::test::temp_dir("second-signal");
  const pid_t child = wizard::test::start_crash_helper({"--slow-save", dir.string()});
  ASSERT_TRUE(wizard::test::wait_for_file(dir / "step-2", 120));
  ::kill(child, SIGINT);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // into the slow save
  const auto second = std::chrono::steady_clock::now();
  ::kill(child, SIGINT);
  EXPECT_EQ(wait_exit(child, 60), 130);
  EXPECT_LT(std::chrono::steady_clock::now() - second, std::chrono::seconds(2));
  EXPECT_TRUE(wizard::train::list_checkpoints(dir).empty());
}
