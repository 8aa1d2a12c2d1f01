// One rank (or the single process) of a data-parallel training run on the regression task of
// the trainer tests, started by data_parallel_test.cpp with the launch variables it sets:
//
//   dp_train_helper DIR [--examples N] [--batch B] [--accumulation A] [--epochs E]
//                       [--step-ms MS] [--die-after K] [--save-steps S] [--resume]
//                       [--timeout SECONDS] [--bf16]
//
// B is the global batch (each rank computes its share). --step-ms slows each micro-batch;
// --die-after K kills rank 1 (SIGKILL) at its K-th micro-batch; --save-steps saves a
// checkpoint every S steps; --resume resumes from the newest complete checkpoint ("auto").
// Rank 0 writes DIR/metrics.jsonl and the final DIR/model.safetensors. Exit status: 0, 1 on
// an error (its message on stderr), 128 + signal when stopped by SIGINT/SIGTERM.
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "train_test_support.hpp"
#include "wizard/base/error.hpp"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc < 2) {
    std::cerr << "usage: dp_train_helper DIR [options]\n";
    return 2;
  }
  const fs::path dir = argv[1];
  int64_t examples = 24, batch = 6, accumulation = 1, epochs = 2, step_ms = 0, die_after = 0,
          save_steps = 0, timeout = 60;
  bool resume = false, bf16 = false;
  for (int i = 2; i < argc; ++i) {
    const std::string option = argv[i];
    auto next = [&] { return std::stoll(argv[++i]); };
    if (option == "--examples")
      examples = next();
    else if (option == "--batch")
      batch = next();
    else if (option == "--accumulation")
      accumulation = next();
    else if (option == "--epochs")
      epochs = next();
    else if (option == "--step-ms")
      step_ms = next();
    else if (option == "--die-after")
      die_after = next();
    else if (option == "--save-steps")
      save_steps = next();
    else if (option == "--timeout")
      timeout = next();
    else if (option == "--resume")
      resume = true;
    else if (option == "--bf16")
      bf16 = true;
    else {
      std::cerr << "dp_train_helper: unknown option " << option << "\n";
      return 2;
    }
  }
  try {
    wizard::test::RegressionTask task(examples, 4, 3, bf16 ? at::kBFloat16 : at::kFloat);
    auto args = wizard::test::quick_args(dir);
    args.num_train_epochs = static_cast<double>(epochs);
    args.gradient_accumulation_steps = accumulation;
    args.max_grad_norm = 0.5;  // clipping on: the global norm must be the same everywhere
    args.weight_decay = 0.1;
    args.ddp_timeout = timeout;
    args.overwrite_output_dir = !resume;
    if (save_steps > 0) {
      args.save_strategy = wizard::train::Interval::steps;
      args.save_steps = static_cast<double>(save_steps);
    }
    if (resume) {
      args.resume_from_latest_checkpoint = true;
      args.resume_skips_damaged = true;
    }
    auto training = task.task(batch);
    int64_t calls = 0;
    const char* rank_variable = std::getenv("RANK");
    const std::string rank = rank_variable ? rank_variable : "";
    training.compute = [&](const wizard::train::MicroBatch& micro_batch) {
      if (die_after > 0 && ++calls == die_after && rank == "1") ::raise(SIGKILL);
      if (step_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(step_ms));
      return task.compute(micro_batch);
    };
    wizard::train::Trainer(args, training).train();
    return 0;
  } catch (const wizard::Interrupted& stopped) {
    std::cerr << stopped.what() << "\n";
    return 128 + stopped.signal();
  } catch (const std::exception& error) {
    std::cerr << "dp_train_helper: " << error.what() << "\n";
    return 1;
  }
}
