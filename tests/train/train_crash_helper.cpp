// A training process that tests kill or signal, on the regression task in <dir>:
//
//   train_crash_helper <dir>                 a checkpoint every step; in its third save it
//                                            writes part of the model, creates <dir>/saving-3
//                                            and waits to be killed
//   train_crash_helper --signal <dir>        slow steps (50 ms); creates <dir>/step-2 after
//                                            step 2; stops on SIGINT/SIGTERM as wizard does
//                                            (exit 128 + signal)
//   train_crash_helper --slow-save <dir>     as --signal, but each save takes 3 s
//   train_crash_helper --kill-anywhere <dir> 12 steps with gradient accumulation, a checkpoint
//                                            every step, save_total_limit = 2, resuming from
//                                            the newest checkpoint; steps and saves take a few
//                                            milliseconds so that random kills land anywhere;
//                                            creates <dir>.started when training begins
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "train_test_support.hpp"
#include "wizard/base/error.hpp"

namespace {

namespace fs = std::filesystem;
using wizard::train::Interval;

void sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

int killed_during_third_save(const fs::path& dir) {
  wizard::test::RegressionTask task(8);
  auto args = wizard::test::quick_args(dir);
  args.save_strategy = Interval::steps;
  args.save_steps = 1;
  auto training = task.task(2);  // 4 steps
  int saves = 0;
  training.save_model = [&](const fs::path& folder) {
    task.save(folder);
    if (++saves == 3) {
      std::ofstream(dir / "saving-3") << "killed here\n";
      for (;;) sleep_ms(1000);
    }
  };
  wizard::train::Trainer(args, training).train();
  return 1;  // never reached: the test kills the process first
}

int stopped_by_signal(const fs::path& dir, int save_ms) {
  wizard::test::RegressionTask task(40);
  auto args = wizard::test::quick_args(dir);
  args.save_strategy = Interval::no;
  auto training = task.task(1);  // 40 steps of 50 ms
  training.compute = [&](const wizard::train::MicroBatch& batch) {
    sleep_ms(50);
    return task.compute(batch);
  };
  training.after_step = [&](const wizard::train::StepTimes& times) {
    if (times.global_step == 2) std::ofstream(dir / "step-2") << "step 2 done\n";
  };
  training.save_model = [&](const fs::path& folder) {
    sleep_ms(save_ms);
    task.save(folder);
  };
  try {
    wizard::train::Trainer(args, training).train();
  } catch (const wizard::Interrupted& stopped) {
    std::cerr << stopped.what() << "\n";
    return 128 + stopped.signal();
  }
  return 0;
}

int kill_anywhere(const fs::path& dir) {
  wizard::test::RegressionTask task(24);
  auto args = wizard::test::quick_args(dir);
  args.gradient_accumulation_steps = 2;
  args.num_train_epochs = 2;  // 12 micro-batches of 2 per epoch: 6 steps per epoch, 12 in all
  args.save_strategy = Interval::steps;
  args.save_steps = 1;
  args.save_total_limit = 2;
  args.warmup_steps = 3;
  args.weight_decay = 0.1;
  args.learning_rate = 0.02;
  args.resume_from_latest_checkpoint = true;  // the first start finds none and starts fresh
  auto training = task.task(2);
  training.compute = [&](const wizard::train::MicroBatch& batch) {
    sleep_ms(4);
    return task.compute(batch);
  };
  training.save_model = [&](const fs::path& folder) {
    task.save(folder);
    sleep_ms(6);  // a save is a moment worth killing in
  };
  // Beside <dir>, not in it: the test times its kills from here (start-up excluded).
  std::ofstream(dir.string() + ".started") << "training\n";
  wizard::train::Trainer(args, training).train();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2) return killed_during_third_save(argv[1]);
  if (argc != 3) return 2;
  const std::string mode = argv[1];
  if (mode == "--signal") return stopped_by_signal(argv[2], 0);
  if (mode == "--slow-save") return stopped_by_signal(argv[2], 3000);
  if (mode == "--kill-anywhere") return kill_anywhere(argv[2]);
  return 2;
}
