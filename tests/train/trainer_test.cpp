// The training loop on a small regression task whose losses and gradients are known:
// accumulation, step and epoch counting, what is logged, evaluation, non-finite stops.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "test_support.hpp"
#include "train_test_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/train/checkpoint.hpp"
#include "wizard/train/trainer.hpp"

namespace fs = std::filesystem;
using wizard::test::events_with;
using wizard::test::expect_throw_with;
using wizard::test::quick_args;
using wizard::test::read_jsonl;
using wizard::test::RegressionTask;
using wizard::train::Interval;
using wizard::train::Trainer;

namespace {

double mean(const std::vector<double>& values, std::size_t begin, std::size_t end) {
  double sum = 0;
  for (std::size_t i = begin; i < end; ++i) sum += values[i];
  return sum / static_cast<double>(end - begin);
}

}  // namespace

TEST(Trainer, AccumulatingTwoMicroBatchesOfOneEqualsOneBatchOfTwo) {
  // Mean loss: (l0 + l1) / 2 over a batch of two, or l0 / 2 + l1 / 2 accumulated.
  RegressionTask whole(8), split(8);
  auto args = quick_args(wizard::test::temp_dir("accumulate-a"));
  args.max_steps = 1;
  Trainer(args, whole.task(/*batch=*/2)).train();
  args.output_dir = wizard::test::temp_dir("accumulate-b");
  args.gradient_accumulation_steps = 2;
  Trainer(args, split.task(/*batch=*/1)).train();
  for (std::size_t i = 0; i < whole.parameters.size(); ++i) {
    EXPECT_LT((whole.parameters[i].second - split.parameters[i].second).abs().max().item<double>(),
              1e-6);
  }
  ASSERT_EQ(split.losses_seen.size(), 2u);
  EXPECT_NEAR(whole.losses_seen[0], (split.losses_seen[0] + split.losses_seen[1]) / 2, 1e-6);
  const auto logged = events_with(read_jsonl(args.output_dir / "metrics.jsonl"), "loss");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_NEAR(logged[0]["loss"].get<double>(), whole.losses_seen[0], 1e-6);
}

TEST(Trainer, CountsStepsAndFractionalEpochsAsHuggingFace) {
  // 10 micro-batches per epoch, accumulation 3: steps after micro-batches 3, 6, 9 and 10.
  RegressionTask task(10);
  auto args = quick_args(wizard::test::temp_dir("epochs"));
  args.num_train_epochs = 2;
  args.gradient_accumulation_steps = 3;
  Trainer trainer(args, task.task(1));
  const auto result = trainer.train();
  EXPECT_EQ(trainer.plan().max_steps, 8);
  EXPECT_EQ(result.global_step, 8);
  EXPECT_EQ(task.losses_seen.size(), 20u);
  const auto logged = events_with(read_jsonl(args.output_dir / "metrics.jsonl"), "loss");
  const std::vector<double> epochs = {0.3, 0.6, 0.9, 1.0, 1.3, 1.6, 1.9, 2.0};
  ASSERT_EQ(logged.size(), epochs.size());
  for (std::size_t i = 0; i < epochs.size(); ++i) {
    EXPECT_EQ(logged[i]["step"], static_cast<int64_t>(i + 1));
    EXPECT_NEAR(logged[i]["epoch"].get<double>(), epochs[i], 1e-12);
  }
}

TEST(Trainer, MaxStepsStopsPartWayThroughAnEpoch) {
  RegressionTask task(10);
  auto args = quick_args(wizard::test::temp_dir("max-steps"));
  args.num_train_epochs = 5;
  args.max_steps = 5;
  args.gradient_accumulation_steps = 3;
  const auto result = Trainer(args, task.task(1)).train();
  EXPECT_EQ(result.global_step, 5);
  EXPECT_NEAR(result.epoch, 1.3, 1e-12);
  EXPECT_EQ(task.losses_seen.size(), 13u);  // 10 micro-batches of epoch 0, then 3
}

TEST(Trainer, LogsIntervalAveragesAsHuggingFaceAndTrl) {
  // 8 examples, one per micro-batch, accumulation 2: 4 steps; logs at steps 1 (first step), 2, 4.
  RegressionTask task(8);
  auto args = quick_args(wizard::test::temp_dir("averages"));
  args.gradient_accumulation_steps = 2;
  args.logging_steps = 2;
  args.logging_first_step = true;
  args.learning_rate = 0.01;
  Trainer(args, task.task(1)).train();
  const auto logged = events_with(read_jsonl(args.output_dir / "metrics.jsonl"), "loss");
  ASSERT_EQ(logged.size(), 3u);
  const auto& l = task.losses_seen;
  // loss: the mean over the logged steps of each step's sum of micro-batch loss / 2; with full
  // windows that is the mean micro-batch loss of the interval.
  EXPECT_NEAR(logged[0]["loss"].get<double>(), mean(l, 0, 2), 1e-6);
  EXPECT_NEAR(logged[1]["loss"].get<double>(), mean(l, 2, 4),
              1e-6);  // step 2 alone after step 1's log
  EXPECT_NEAR(logged[2]["loss"].get<double>(), mean(l, 4, 8), 1e-6);
  // TRL's metrics: the mean over the logged micro-batches (nll_loss is the loss itself here).
  EXPECT_NEAR(logged[2]["nll_loss"].get<double>(), mean(l, 4, 8), 1e-12);
  // learning_rate: the rate the step used. Linear, no warmup, 4 steps: step k uses (4 - (k-1)) / 4.
  EXPECT_DOUBLE_EQ(logged[0]["learning_rate"].get<double>(), 0.01);
  EXPECT_DOUBLE_EQ(logged[1]["learning_rate"].get<double>(), 0.01 * 0.75);
  EXPECT_DOUBLE_EQ(logged[2]["learning_rate"].get<double>(), 0.01 * 0.25);
  for (const auto& event : logged) {
    EXPECT_TRUE(event.contains("grad_norm"));
    EXPECT_TRUE(event.contains("rewards/chosen"));
    EXPECT_GT(event["tokens_per_second"].get<double>(), 0);
  }
  const auto summary = events_with(read_jsonl(args.output_dir / "metrics.jsonl"), "train_loss");
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_NEAR(summary[0]["train_loss"].get<double>(), mean(l, 0, 8),
              1e-6);  // mean step loss of the run
  EXPECT_TRUE(summary[0].contains("train_runtime"));
}

TEST(Trainer, NoGradNormWithoutClipping) {
  RegressionTask task(4);
  auto args = quick_args(wizard::test::temp_dir("no-clip"));
  args.max_grad_norm = 0;
  Trainer(args, task.task(2)).train();
  for (const auto& event : events_with(read_jsonl(args.output_dir / "metrics.jsonl"), "loss")) {
    EXPECT_FALSE(event.contains("grad_norm"));
  }
}

TEST(Trainer, MetricsJsonlIsTheLogHistory) {
  RegressionTask task(6);
  auto args = quick_args(wizard::test::temp_dir("history"));
  Trainer(args, task.task(2)).train();
  const auto state = wizard::test::read_json(args.output_dir / "trainer_state.json");
  EXPECT_EQ(state["log_history"], nlohmann::json(read_jsonl(args.output_dir / "metrics.jsonl")));
  EXPECT_EQ(state["global_step"], 3);
  EXPECT_EQ(state["max_steps"], 3);
  std::ifstream in(args.output_dir / "metrics.jsonl");
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first.rfind("{\"step\":1,\"epoch\":", 0), 0u) << first;
}

TEST(Trainer, EvaluatesOnScheduleWithTheEvalPrefix) {
  RegressionTask task(8);
  auto args = quick_args(wizard::test::temp_dir("eval"));
  args.eval_strategy = Interval::steps;
  args.eval_steps = 2;
  args.eval_on_start = true;
  auto training = task.task(2);  // 4 steps
  int evaluations = 0;
  training.evaluate = [&] {
    ++evaluations;
    wizard::train::EvalResult result;
    result.metrics = {{"loss", 1.0 / evaluations}, {"rewards/chosen", 0.5}, {"eval_custom", 2.0}};
    result.num_samples = 4;
    result.num_batches = 2;
    return result;
  };
  Trainer(args, training).train();
  const auto evals = events_with(read_jsonl(args.output_dir / "metrics.jsonl"), "eval_loss");
  ASSERT_EQ(evals.size(), 3u);  // before training, at step 2 and at step 4 (none added at the end)
  EXPECT_EQ(evals[0]["step"], 0);
  EXPECT_EQ(evals[1]["step"], 2);
  EXPECT_EQ(evals[2]["step"], 4);
  for (const auto& event : evals) {
    EXPECT_TRUE(event.contains("eval_rewards/chosen"));
    EXPECT_TRUE(event.contains("eval_custom"));
    EXPECT_FALSE(event.contains("eval_eval_custom"));
    EXPECT_TRUE(event.contains("eval_runtime"));
    EXPECT_TRUE(event.contains("eval_samples_per_second"));
    EXPECT_FALSE(event.contains("loss"));
  }
}

TEST(Trainer, EvaluateAfterFirstStepAddsStepOneToTheSchedule) {
  RegressionTask task(8);
  auto args = quick_args(wizard::test::temp_dir("eval-first-step"));
  args.eval_strategy = Interval::epoch;
  auto training = task.task(2);  // 4 steps, one epoch
  training.evaluate_after_first_step = true;
  training.evaluate = [] {
    wizard::train::EvalResult result;
    result.metrics = {{"loss", 1.0}};
    result.num_samples = 1;
    result.num_batches = 1;
    return result;
  };
  Trainer(args, training).train();
  const auto evals = events_with(read_jsonl(args.output_dir / "metrics.jsonl"), "eval_loss");
  ASSERT_EQ(evals.size(), 2u);  // after step 1, then at the epoch's end
  EXPECT_EQ(evals[0]["step"], 1);
  EXPECT_EQ(evals[1]["step"], 4);

  auto without_set = task.task(2);
  without_set.evaluate_after_first_step = true;
  args.eval_strategy = Interval::no;
  expect_throw_with<wizard::ConfigError>([&] { Trainer(args, without_set); },
                                         {"evaluate_first_step", "needs an evaluation set"});
}

TEST(Trainer, LoadBestModelAtEndEndsWithTheBestCheckpointsWeights) {
  RegressionTask task(12);
  auto args = quick_args(wizard::test::temp_dir("load-best"));
  args.eval_strategy = Interval::steps;
  args.eval_steps = 2;
  args.save_strategy = Interval::steps;
  args.save_steps = 2;
  args.save_total_limit = 1;
  args.load_best_model_at_end = true;
  args.metric_for_best_model = "loss";
  args.greater_is_better = false;
  auto training = task.task(2);  // 6 steps; evaluations at 2, 4, 6
  const std::vector<double> eval_losses = {3.0, 1.0, 2.0};
  std::vector<std::vector<at::Tensor>> weights_at_evaluation;
  training.evaluate = [&] {
    std::vector<at::Tensor> copy;
    for (const auto& [name, parameter] : task.parameters)
      copy.push_back(parameter.detach().clone());
    weights_at_evaluation.push_back(copy);
    wizard::train::EvalResult result;
    result.metrics = {{"loss", eval_losses[weights_at_evaluation.size() - 1]}};
    result.num_samples = 1;
    result.num_batches = 1;
    return result;
  };
  Trainer(args, training).train();
  ASSERT_EQ(weights_at_evaluation.size(), 3u);
  for (std::size_t i = 0; i < task.parameters.size(); ++i) {
    EXPECT_TRUE(at::equal(task.parameters[i].second, weights_at_evaluation[1][i]))
        << task.parameters[i].first << " is not step 4's";
    EXPECT_FALSE(at::equal(task.parameters[i].second, weights_at_evaluation[2][i]));
  }
  // The limit of one keeps the best checkpoint besides the last.
  EXPECT_TRUE(fs::is_directory(args.output_dir / "checkpoint-4"));
  EXPECT_TRUE(fs::is_directory(args.output_dir / "checkpoint-6"));
  EXPECT_FALSE(fs::exists(args.output_dir / "checkpoint-2"));
}

TEST(Trainer, EvaluationNeedsAnEvaluationSet) {
  RegressionTask task(4);
  auto args = quick_args(wizard::test::temp_dir("no-eval-set"));
  args.eval_strategy = Interval::epoch;
  expect_throw_with<wizard::ConfigError>([&] { Trainer(args, task.task(2)); },
                                         {"eval_strategy = \"epoch\"", "needs an evaluation set"});
}

TEST(Trainer, NonFiniteLossStopsTheRunAndKeepsTheLastCheckpoint) {
  RegressionTask task(8);
  auto args = quick_args(wizard::test::temp_dir("nan"));
  args.save_strategy = Interval::steps;
  args.save_steps = 2;
  auto training = task.task(1);  // 8 steps
  training.compute = [&](const wizard::train::MicroBatch& batch) {
    auto result = task.compute(batch);
    if (task.losses_seen.size() == 3) result.loss = result.loss * std::nan("");
    return result;
  };
  expect_throw_with<wizard::Error>([&] { Trainer(args, training).train(); },
                                   {"loss is nan at step 3 of 8", "micro-batch 2", "checkpoint-2"});
  EXPECT_TRUE(fs::is_directory(args.output_dir / "checkpoint-2"));
  EXPECT_FALSE(fs::exists(args.output_dir / "checkpoint-3"));
  EXPECT_EQ(wizard::train::latest_checkpoint(args.output_dir), args.output_dir / "checkpoint-2");
  const auto logged = read_jsonl(args.output_dir / "metrics.jsonl");
  EXPECT_EQ(logged.back()["step"], 2);
}

TEST(Trainer, NonFiniteMetricStopsTheRunNamingIt) {
  RegressionTask task(4);
  auto args = quick_args(wizard::test::temp_dir("nan-metric"));
  auto training = task.task(1);
  training.compute = [&](const wizard::train::MicroBatch& batch) {
    auto result = task.compute(batch);
    result.metrics["rewards/chosen"] = INFINITY;
    return result;
  };
  expect_throw_with<wizard::Error>([&] { Trainer(args, training).train(); },
                                   {"rewards/chosen is inf at step 1", "No checkpoint was saved"});
}
