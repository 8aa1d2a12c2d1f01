// Helper of the KilledDuringASaveLeavesTheLastCheckpointUsable test: trains the regression task
// in <dir> with a checkpoint every step; in its third save it writes part of the model, creates
// <dir>/saving-3 and waits to be killed.
#include <chrono>
#include <fstream>
#include <thread>

#include "train_test_support.hpp"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::filesystem::path dir = argv[1];
  wizard::test::RegressionTask task(8);
  auto args = wizard::test::quick_args(dir);
  args.save_strategy = wizard::train::Interval::steps;
  args.save_steps = 1;
  auto training = task.task(2);  // 4 steps
  int saves = 0;
  training.save_model = [&](const std::filesystem::path& folder) {
    task.save(folder);
    if (++saves == 3) {
      std::ofstream(dir / "saving-3") << "killed here\n";
      for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  };
  wizard::train::Trainer(args, training).train();
  return 1;  // never reached: the test kills the process first
}
