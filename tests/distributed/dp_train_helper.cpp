// One rank (or the single process) of a data-parallel training run on the regression task of
// the trainer tests, started by data_parallel_test.cpp with the launch variables it sets:
//
//   dp_train_helper DIR [--examples N] [--batch B] [--accumulation A] [--epochs E]
//                       [--step-ms MS] [--die-after K] [--save-steps S] [--resume]
//                       [--timeout SECONDS] [--bf16] [--sharded] [--8bit]
//                       [--features F] [--outputs O] [--layers L] [--nan-eval]
//
// B is the global batch (each rank computes its share). --step-ms slows each micro-batch;
// --die-after K kills rank 1 (SIGKILL) at its K-th micro-batch; --save-steps saves a
// checkpoint every S steps; --resume resumes from the newest complete checkpoint ("auto").
// Rank 0 writes DIR/metrics.jsonl and the final DIR/model.safetensors. Exit status: 0, 1 on
// an error (its message on stderr), 128 + signal when stopped by SIGINT/SIGTERM.
// --sharded sets optimizer_sharding; --8bit trains with adamw_8bit (8-bit moments need a weight
// of 4096 elements or more: --features 64 --outputs 64); --nan-eval evaluates every 2 steps
// to an eval_loss of NaN and an eval_reward of +infinity. --layers L (2 or more) trains L
// linear layers of F x F with tanh between them instead (2L parameter tensors, so that sharded
// optimizer state has several tensors per rank to own).
#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <string>
#include <thread>

#include "train_test_support.hpp"
#include "wizard/base/error.hpp"

namespace {

std::string layer_name(int64_t layer, const char* what) {
  return "model.layers." + std::to_string(layer) + ".mlp.up_proj." + what;
}

// Replaces the task's one linear layer by `layers` of them, tanh between them.
void use_layers(wizard::test::RegressionTask& task, int64_t layers) {
  const int64_t features = task.inputs.size(1);
  const auto dtype = task.parameters.front().second.scalar_type();
  at::Generator generator = at::detail::createCPUGenerator(99);
  task.parameters.clear();
  for (int64_t layer = 0; layer < layers; ++layer) {
    const double scale = 1.0 / std::sqrt(static_cast<double>(features));
    task.parameters.emplace_back(
        layer_name(layer, "weight"),
        (scale * at::randn({features, features}, generator)).to(dtype).set_requires_grad(true));
    task.parameters.emplace_back(
        layer_name(layer, "bias"),
        (0.1 * at::randn({features}, generator)).to(dtype).set_requires_grad(true));
  }
}

wizard::train::StepResult compute_layers(const wizard::test::RegressionTask& task,
                                         const wizard::train::MicroBatch& batch) {
  const at::Tensor index = at::tensor(batch, at::kLong);
  at::Tensor x = task.inputs.index_select(0, index);
  const std::size_t layers = task.parameters.size() / 2;
  for (std::size_t layer = 0; layer < layers; ++layer) {
    x = at::linear(x, task.parameters[2 * layer].second.to(at::kFloat),
                   task.parameters[2 * layer + 1].second.to(at::kFloat));
    if (layer + 1 < layers) x = at::tanh(x);
  }
  wizard::train::StepResult result;
  result.loss = (x - task.targets.index_select(0, index)).pow(2).mean();
  result.metrics = {{"rewards/chosen", x.mean().item<double>()},
                    {"nll_loss", result.loss.item<double>()}};
  result.num_tokens = 10 * static_cast<int64_t>(batch.size());
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc < 2) {
    std::cerr << "usage: dp_train_helper DIR [options]\n";
    return 2;
  }
  const fs::path dir = argv[1];
  int64_t examples = 24, batch = 6, accumulation = 1, epochs = 2, step_ms = 0, die_after = 0,
          save_steps = 0, timeout = 60;
  int64_t features = 4, outputs = 3, layers = 1;
  bool resume = false, bf16 = false, sharded = false, eight_bit = false, nan_eval = false;
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
    else if (option == "--sharded")
      sharded = true;
    else if (option == "--8bit")
      eight_bit = true;
    else if (option == "--nan-eval")
      nan_eval = true;
    else if (option == "--features")
      features = next();
    else if (option == "--outputs")
      outputs = next();
    else if (option == "--layers")
      layers = next();
    else {
      std::cerr << "dp_train_helper: unknown option " << option << "\n";
      return 2;
    }
  }
  try {
    if (layers > 1) outputs = features;
    wizard::test::RegressionTask task(examples, features, outputs,
                                      bf16 ? at::kBFloat16 : at::kFloat);
    if (layers > 1) use_layers(task, layers);
    auto args = wizard::test::quick_args(dir);
    args.num_train_epochs = static_cast<double>(epochs);
    args.gradient_accumulation_steps = accumulation;
    args.max_grad_norm = 0.5;  // clipping on: the global norm must be the same everywhere
    args.weight_decay = 0.1;
    args.ddp_timeout = timeout;
    args.overwrite_output_dir = !resume;
    args.optimizer_sharding = sharded;
    if (eight_bit) args.optim = "adamw_8bit";
    if (save_steps > 0) {
      args.save_strategy = wizard::train::Interval::steps;
      args.save_steps = static_cast<double>(save_steps);
    }
    if (resume) {
      args.resume_from_latest_checkpoint = true;
      args.resume_skips_damaged = true;
    }
    auto training = task.task(batch);
    if (nan_eval) {
      args.eval_strategy = wizard::train::Interval::steps;
      args.eval_steps = 2.0;
      training.evaluate = [] {
        wizard::train::EvalResult result;
        result.metrics = {{"loss", std::nan("")},
                          {"reward", std::numeric_limits<double>::infinity()}};
        result.num_samples = 1;
        result.num_batches = 1;
        return result;
      };
    }
    int64_t calls = 0;
    const char* rank_variable = std::getenv("RANK");
    const std::string rank = rank_variable ? rank_variable : "";
    training.compute = [&](const wizard::train::MicroBatch& micro_batch) {
      if (die_after > 0 && ++calls == die_after && rank == "1") ::raise(SIGKILL);
      if (step_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(step_ms));
      return layers > 1 ? compute_layers(task, micro_batch) : task.compute(micro_batch);
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
