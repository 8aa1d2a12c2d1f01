// training_args_spec parsing: HF TrainingArguments names and defaults (transformers 4.51),
// caller defaults (TRL's CPOConfig), strict keys and the errors users see.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <limits>

#include "test_support.hpp"
#include "train_test_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/train/training_args.hpp"

using wizard::ConfigError;
using wizard::ConfigValue;
using wizard::test::expect_throw_with;
using wizard::test::training_table;
using wizard::train::Interval;
using wizard::train::TrainingArguments;

namespace {

ConfigValue str(const std::string& s) {
  return ConfigValue::string(s);
}
ConfigValue num(double v) {
  return ConfigValue::floating(v);
}
ConfigValue integer(int64_t v) {
  return ConfigValue::integer(v);
}
ConfigValue boolean(bool v) {
  return ConfigValue::boolean(v);
}

}  // namespace

TEST(TrainingArgs, DefaultsAreHuggingFaceTrainingArguments) {
  const auto args = TrainingArguments::parse(training_table({{"output_dir", str("runs/x")}}));
  EXPECT_EQ(args.output_dir, "runs/x");
  EXPECT_FALSE(args.overwrite_output_dir);
  EXPECT_EQ(args.run_name, "runs/x");  // HF: run_name defaults to output_dir
  EXPECT_EQ(args.num_train_epochs, 3.0);
  EXPECT_EQ(args.max_steps, -1);
  EXPECT_EQ(args.per_device_train_batch_size, 8);
  EXPECT_EQ(args.per_device_eval_batch_size, 8);
  EXPECT_EQ(args.gradient_accumulation_steps, 1);
  EXPECT_EQ(args.learning_rate, 5e-5);
  EXPECT_EQ(args.weight_decay, 0.0);
  EXPECT_EQ(args.adam_beta1, 0.9);
  EXPECT_EQ(args.adam_beta2, 0.999);
  EXPECT_EQ(args.adam_epsilon, 1e-8);
  EXPECT_EQ(args.max_grad_norm, 1.0);
  EXPECT_EQ(args.lr_scheduler_type, "linear");
  EXPECT_EQ(args.warmup_steps, 0);
  EXPECT_EQ(args.warmup_ratio, 0.0);
  EXPECT_EQ(args.logging_strategy, Interval::steps);
  EXPECT_EQ(args.logging_steps, 500);
  EXPECT_FALSE(args.logging_first_step);
  EXPECT_EQ(args.eval_strategy, Interval::no);
  EXPECT_FALSE(args.eval_steps.has_value());
  EXPECT_EQ(args.save_strategy, Interval::steps);
  EXPECT_EQ(args.save_steps, 500);
  EXPECT_FALSE(args.save_total_limit.has_value());
  EXPECT_FALSE(args.save_only_model);
  EXPECT_EQ(args.seed, 42);
  EXPECT_FALSE(args.use_bf16());
  EXPECT_FALSE(args.fp16);
  EXPECT_FALSE(args.gradient_checkpointing);
  EXPECT_EQ(args.optim, "adamw_torch");
  EXPECT_FALSE(args.resume_requested());
  EXPECT_EQ(args.parameter_dtype_name(), "float32");
}

TEST(TrainingArgs, ValuesAreRead) {
  const auto args = TrainingArguments::parse(training_table({
      {"output_dir", str("out")},
      {"num_train_epochs", integer(2)},  // an integer where a float is expected
      {"per_device_train_batch_size", integer(2)},
      {"gradient_accumulation_steps", integer(4)},
      {"learning_rate", num(1e-6)},
      {"lr_scheduler_type", str("cosine")},
      {"lr_scheduler_kwargs", ConfigValue::table({{"num_cycles", num(1.0)}})},
      {"warmup_ratio", num(0.1)},
      {"logging_steps", integer(10)},
      {"save_total_limit", integer(2)},
      {"bf16", boolean(true)},
      {"max_steps", integer(100)},
      {"resume_from_checkpoint", str("out/checkpoint-5")},
  }));
  EXPECT_EQ(args.num_train_epochs, 2.0);
  EXPECT_EQ(args.per_device_train_batch_size, 2);
  EXPECT_EQ(args.gradient_accumulation_steps, 4);
  EXPECT_EQ(args.learning_rate, 1e-6);
  EXPECT_EQ(args.lr_scheduler_type, "cosine");
  EXPECT_EQ(args.cosine_num_cycles, 1.0);
  EXPECT_EQ(args.warmup_ratio, 0.1);
  EXPECT_EQ(args.logging_steps, 10);
  EXPECT_EQ(args.save_total_limit, 2);
  EXPECT_TRUE(args.use_bf16());
  EXPECT_EQ(args.parameter_dtype_name(), "bfloat16");
  EXPECT_EQ(args.max_steps, 100);
  EXPECT_EQ(args.resume_from_checkpoint, "out/checkpoint-5");
}

TEST(TrainingArgs, CallerDefaultsReplaceHuggingFaceOnes) {
  // TRL's CPOConfig: learning_rate 1e-6, logging_steps 10, gradient_checkpointing true, bf16 unset.
  TrainingArguments cpo;
  cpo.learning_rate = 1e-6;
  cpo.logging_steps = 10;
  cpo.gradient_checkpointing = true;
  cpo.bf16 = std::nullopt;
  const auto args = TrainingArguments::parse(training_table({{"output_dir", str("out")}}), cpo);
  EXPECT_EQ(args.learning_rate, 1e-6);
  EXPECT_EQ(args.logging_steps, 10);
  EXPECT_TRUE(args.gradient_checkpointing);
  EXPECT_TRUE(args.use_bf16());  // TRL: bf16 unless fp16
  const auto half = TrainingArguments::parse(
      training_table({{"output_dir", str("out")}, {"fp16", boolean(true)}}), cpo);
  EXPECT_FALSE(half.use_bf16());
  EXPECT_EQ(half.parameter_dtype_name(), "float16");

  // The docs show the caller's defaults.
  const auto docs = TrainingArguments::docs(cpo);
  auto default_of = [&](const std::string& name) {
    auto it = std::find_if(docs.begin(), docs.end(), [&](const auto& d) { return d.name == name; });
    return it == docs.end() ? std::string("<missing>") : it->default_value;
  };
  EXPECT_EQ(default_of("learning_rate"), "1e-06");
  EXPECT_EQ(default_of("logging_steps"), "10");
  EXPECT_EQ(default_of("bf16"), "true unless fp16");
  EXPECT_EQ(default_of("lr_scheduler_type"), "\"linear\"");
}

TEST(TrainingArgs, ResolvedConfigRecordsDefaults) {
  const auto table = training_table({{"output_dir", str("out")}});
  TrainingArguments::parse(table);
  const ConfigValue* resolved = table.resolved().find("training_args_spec");
  ASSERT_NE(resolved, nullptr);
  ASSERT_NE(resolved->find("learning_rate"), nullptr);
  EXPECT_EQ(resolved->find("learning_rate")->as_float(), 5e-5);
  EXPECT_EQ(resolved->find("bf16")->as_bool(), false);
}

TEST(TrainingArgs, UnknownKeyNamesTheNearest) {
  expect_throw_with<ConfigError>(
      [] {
        TrainingArguments::parse(
            training_table({{"output_dir", str("o")}, {"lerning_rate", num(1e-5)}}));
      },
      {"unknown key 'training_args_spec.lerning_rate'", "did you mean 'learning_rate'"});
}

TEST(TrainingArgs, FromConfigLeavesKeyCheckingToTheCaller) {
  // A recipe merges its own options (beta, loss_type, ...) before checking keys.
  const auto table = training_table({{"output_dir", str("o")}, {"beta", num(0.1)}});
  EXPECT_NO_THROW(TrainingArguments::from_config(table));
  auto options = TrainingArguments::docs();
  options.push_back({"beta", "float", "0.1", "the recipe's own option"});
  EXPECT_NO_THROW(table.check_keys(options));
}

TEST(TrainingArgs, WrongTypeSaysWhatWasExpected) {
  expect_throw_with<ConfigError>(
      [] {
        TrainingArguments::parse(
            training_table({{"output_dir", str("o")}, {"learning_rate", str("0.1")}}));
      },
      {"training_args_spec.learning_rate must be a number", "string (\"0.1\")"});
  expect_throw_with<ConfigError>(
      [] {
        TrainingArguments::parse(training_table({{"output_dir", str("o")}, {"bf16", str("true")}}));
      },
      {"training_args_spec.bf16 must be a bool"});
  expect_throw_with<ConfigError>(
      [] {
        TrainingArguments::parse(
            training_table({{"output_dir", str("o")}, {"remove_unused_columns", integer(0)}}));
      },
      {"remove_unused_columns", "must be a bool"});
}

TEST(TrainingArgs, OutputDirIsRequired) {
  expect_throw_with<ConfigError>([] { TrainingArguments::parse(training_table({})); },
                                 {"required key 'output_dir'"});
}

TEST(TrainingArgs, UnknownSchedulerListsTheSupportedOnes) {
  expect_throw_with<ConfigError>(
      [] {
        TrainingArguments::parse(
            training_table({{"output_dir", str("o")}, {"lr_scheduler_type", str("cosin")}}));
      },
      {"\"cosin\" is not a supported schedule",
       "linear, cosine, constant, constant_with_warmup, inverse_sqrt", "did you mean \"cosine\""});
  expect_throw_with<ConfigError>(
      [] {
        TrainingArguments::parse(
            training_table({{"output_dir", str("o")}, {"lr_scheduler_type", str("polynomial")}}));
      },
      {"\"polynomial\" is not a supported schedule"});
}

TEST(TrainingArgs, UnknownOptimizerListsTheSupportedOnes) {
  expect_throw_with<ConfigError>(
      [] {
        TrainingArguments::parse(training_table({{"output_dir", str("o")}, {"optim", str("sgd")}}));
      },
      {"\"sgd\" is not a supported optimizer", "adamw_torch, adamw_torch_fused, adamw_bnb_8bit"});
}

TEST(TrainingArgs, EightBitOptimizersKeepEightBitState) {
  // bitsandbytes' names: 8-bit moments, without a warning; paged_ pages nothing on the CPU.
  for (const char* name : {"adamw_bnb_8bit", "adamw_8bit", "paged_adamw_8bit"}) {
    wizard::test::LogCapture log;
    const auto args =
        TrainingArguments::parse(training_table({{"output_dir", str("o")}, {"optim", str(name)}}));
    EXPECT_EQ(args.optim, name);
    EXPECT_EQ(args.optimizer_state_bits(), 8) << name;
    EXPECT_EQ(log.text(), "") << name;
  }
  for (const char* name : {"adamw_torch", "adamw_torch_fused", "paged_adamw_32bit"}) {
    wizard::test::LogCapture log;
    const auto args =
        TrainingArguments::parse(training_table({{"output_dir", str("o")}, {"optim", str(name)}}));
    EXPECT_EQ(args.optimizer_state_bits(), 32) << name;
    EXPECT_EQ(log.text(), "") << name;
  }
}

TEST(TrainingArgs, StrategiesAndTheOldEvaluationStrategyName) {
  const auto args = TrainingArguments::parse(training_table({{"output_dir", str("o")},
                                                             {"evaluation_strategy", str("steps")},
                                                             {"logging_steps", integer(7)}}));
  EXPECT_EQ(args.eval_strategy, Interval::steps);
  EXPECT_EQ(args.eval_steps, 7.0);  // HF: eval_steps defaults to logging_steps
  expect_throw_with<ConfigError>(
      [] {
        TrainingArguments::parse(training_table({{"output_dir", str("o")},
                                                 {"evaluation_strategy", str("steps")},
                                                 {"eval_strategy", str("no")}}));
      },
      {"old name of 'eval_strategy'", "keep only 'eval_strategy'"});
  expect_throw_with<ConfigError>(
      [] {
        TrainingArguments::parse(
            training_table({{"output_dir", str("o")}, {"save_strategy", str("step")}}));
      },
      {"must be one of \"no\", \"steps\", \"epoch\", \"best\"", "did you mean \"steps\""});
  expect_throw_with<ConfigError>(
      [] {
        TrainingArguments::parse(
            training_table({{"output_dir", str("o")}, {"eval_strategy", str("best")}}));
      },
      {"must be one of \"no\", \"steps\", \"epoch\", but it is \"best\""});
  expect_throw_with<ConfigError>(
      [] {
        TrainingArguments::parse(training_table({{"output_dir", str("o")},
                                                 {"save_strategy", str("best")},
                                                 {"eval_strategy", str("steps")}}));
      },
      {"\"best\" needs metric_for_best_model"});
}

TEST(TrainingArgs, BestMetricDirection) {
  const auto loss = TrainingArguments::parse(
      training_table({{"output_dir", str("o")}, {"metric_for_best_model", str("loss")}}));
  EXPECT_EQ(loss.greater_is_better, false);  // HF: a metric ending in "loss" is better smaller
  const auto reward = TrainingArguments::parse(training_table(
      {{"output_dir", str("o")}, {"metric_for_best_model", str("rewards/accuracies")}}));
  EXPECT_EQ(reward.greater_is_better, true);
}

TEST(TrainingArgs, LoadBestModelAtEndDefaultsTheMetricToTheLoss) {
  const auto args =
      TrainingArguments::parse(training_table({{"output_dir", str("o")},
                                               {"load_best_model_at_end", boolean(true)},
                                               {"eval_strategy", str("steps")},
                                               {"eval_steps", integer(5)},
                                               {"save_steps", integer(10)}}));
  EXPECT_TRUE(args.load_best_model_at_end);
  EXPECT_EQ(args.metric_for_best_model, "loss");
  EXPECT_EQ(args.greater_is_better, false);
}

TEST(TrainingArgs, ResumeFromCheckpointTakesAPathOrTrue) {
  const auto latest = TrainingArguments::parse(
      training_table({{"output_dir", str("o")}, {"resume_from_checkpoint", boolean(true)}}));
  EXPECT_TRUE(latest.resume_from_latest_checkpoint);
  const auto none = TrainingArguments::parse(
      training_table({{"output_dir", str("o")}, {"resume_from_checkpoint", boolean(false)}}));
  EXPECT_FALSE(none.resume_requested());
  EXPECT_EQ(none.checkpoint_to_resume(), std::nullopt);
  expect_throw_with<ConfigError>(
      [] {
        TrainingArguments::parse(
            training_table({{"output_dir", str("o")}, {"resume_from_checkpoint", integer(3)}}));
      },
      {"resume_from_checkpoint", "must be a checkpoint folder, true or \"auto\""});
}

TEST(TrainingArgs, ValueChecks) {
  auto fails = [](std::initializer_list<std::pair<std::string, ConfigValue>> entries,
                  const std::string& fragment) {
    std::vector<std::pair<std::string, ConfigValue>> all = {
        {"output_dir", ConfigValue::string("o")}};
    all.insert(all.end(), entries.begin(), entries.end());
    wizard::ConfigValue::Table table(all.begin(), all.end());
    const auto config =
        wizard::Config(ConfigValue::table({{"training_args_spec", ConfigValue::table(table)}}))
            .table("training_args_spec");
    expect_throw_with<ConfigError>([&] { TrainingArguments::parse(config); }, {fragment});
  };
  fails({{"gradient_accumulation_steps", integer(0)}},
        "gradient_accumulation_steps: must be an integer in [1, 1048576], but it is 0");
  fails({{"max_steps", integer(0)}}, "max_steps: must be -1");
  fails({{"adam_beta2", num(1.0)}}, "adam_beta2: must be in [0, 1)");
  fails({{"warmup_ratio", num(1.5)}}, "warmup_ratio: must be in [0, 1]");
  fails({{"logging_steps", num(2.5)}}, "whole number of steps or a fraction");
  fails({{"save_steps", integer(0)}}, "save_steps: must be positive");
  fails({{"bf16", boolean(true)}, {"fp16", boolean(true)}}, "are both true");
  fails({{"deepspeed", ConfigValue::string("ds.json")}}, "DeepSpeed is not available");
  fails({{"load_best_model_at_end", boolean(true)}, {"eval_strategy", str("epoch")}},
        "needs save_strategy and eval_strategy to match");
  fails({{"load_best_model_at_end", boolean(true)},
         {"eval_strategy", str("steps")},
         {"eval_steps", integer(3)},
         {"save_steps", integer(10)}},
        "save_steps (10) to be a whole multiple of eval_steps (3)");
  fails({{"label_smoothing_factor", num(0.1)}}, "label_smoothing option of their own");
}

TEST(TrainingArgs, NumbersMustBeFiniteAndInASaneRange) {
  // Each case names the key, the allowed range and the value; none gets as far as a run that
  // "trains 0 steps" on an overflowed count.
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<std::pair<std::pair<std::string, ConfigValue>, std::string>> cases = {
      {{"num_train_epochs", num(1e300)},
       "num_train_epochs: must be a finite number in [0, 1e+06], but it is 1e+300"},
      {{"num_train_epochs", num(inf)}, "num_train_epochs must be a finite number"},
      {{"max_steps", integer(INT64_MAX)},
       "max_steps: must be an integer in [-1, 1000000000000], but it is 9223372036854775807"},
      {{"learning_rate", num(nan)}, "learning_rate must be a finite number, but it is a float"},
      {{"learning_rate", num(inf)}, "learning_rate must be a finite number"},
      {{"learning_rate", num(1e308)},
       "learning_rate: must be a finite number in [0, 10], but it is 1e+308"},
      {{"learning_rate", num(-1e-6)}, "learning_rate: must be a finite number in [0, 10]"},
      {{"adam_epsilon", num(2.0)}, "adam_epsilon: must be a finite number in [0, 1]"},
      {{"max_grad_norm", num(1e300)}, "max_grad_norm: must be a finite number in [0, 1e+12]"},
      {{"save_steps", num(1e300)}, "save_steps: must be a finite number in [0, 1e+12]"},
      {{"per_device_train_batch_size", integer(INT64_MAX)},
       "per_device_train_batch_size: must be an integer in [1, 1048576]"},
      {{"warmup_steps", integer(-3)}, "warmup_steps: must be an integer in [0, 1000000000000]"},
      {{"seed", integer(-1)}, "seed: must be an integer in [0, 4294967295], but it is -1"},
      {{"threads", integer(100000)}, "threads: is 100000, but this machine has"},
  };
  for (const auto& [entry, fragment] : cases) {
    SCOPED_TRACE(entry.first);
    expect_throw_with<ConfigError>(
        [&] {
          TrainingArguments::parse(training_table({{"output_dir", str("o")}, entry}));
        },
        {fragment});
  }
  const auto bound = std::to_string(TrainingArguments::max_threads());
  expect_throw_with<ConfigError>(
      [] {
        TrainingArguments::parse(
            training_table({{"output_dir", str("o")}, {"threads", integer(100000)}}));
      },
      {"at most 4 threads per core (" + bound + ") are accepted"});
  EXPECT_EQ(TrainingArguments::max_threads(), 4 * TrainingArguments::usable_cores());
  // The largest accepted values pass.
  EXPECT_NO_THROW(TrainingArguments::parse(
      training_table({{"output_dir", str("o")},
                      {"threads", integer(TrainingArguments::max_threads())},
                      {"max_steps", integer(1'000'000'000'000)},
                      {"learning_rate", num(10)}})));
}

TEST(TrainingArgs, ResumeAutoAndSaveOnInterrupt) {
  const auto defaults = TrainingArguments::parse(training_table({{"output_dir", str("o")}}));
  EXPECT_TRUE(defaults.save_on_interrupt);
  EXPECT_FALSE(defaults.resume_skips_damaged);
  const auto args =
      TrainingArguments::parse(training_table({{"output_dir", str("o")},
                                               {"resume_from_checkpoint", str("auto")},
                                               {"save_on_interrupt", boolean(false)}}));
  EXPECT_TRUE(args.resume_from_latest_checkpoint);
  EXPECT_TRUE(args.resume_skips_damaged);
  EXPECT_TRUE(args.resume_from_checkpoint.empty());
  EXPECT_FALSE(args.save_on_interrupt);
  EXPECT_EQ(args.to_json()["resume_from_checkpoint"], "auto");
  EXPECT_EQ(args.to_json()["save_on_interrupt"], false);
}

TEST(TrainingArgs, HarmlessHuggingFaceFieldsAreAccepted) {
  wizard::test::LogCapture log;
  const auto args = TrainingArguments::parse(training_table({
      {"output_dir", str("o")},
      {"remove_unused_columns", boolean(false)},
      {"dataloader_num_workers", integer(4)},
      {"logging_dir", str("o/runs")},
      {"report_to", str("none")},
      {"do_train", boolean(true)},
      {"gradient_checkpointing_kwargs", ConfigValue::table({{"use_reentrant", boolean(false)}})},
      {"disable_dropout", boolean(true)},
      {"data_seed", integer(7)},
  }));
  EXPECT_EQ(log.text(), "");
  EXPECT_EQ(args.data_seed, 7);
}

TEST(TrainingArgs, ReportToIsReadNotWarnedAbout) {
  // report_to is honoured now (tests/tracking checks what each destination writes).
  wizard::test::LogCapture log;
  const auto args = TrainingArguments::parse(training_table(
      {{"output_dir", str("o")}, {"report_to", wizard::test::strings({"tensorboard"})}}));
  EXPECT_EQ(args.report_to, std::vector<std::string>{"tensorboard"});
  EXPECT_EQ(log.text(), "");
}

TEST(TrainingArgs, WarmupStepsWinOverWarmupRatio) {
  TrainingArguments args;
  args.warmup_ratio = 0.1;
  EXPECT_EQ(args.warmup_steps_for(95), 10);  // ceil(9.5)
  args.warmup_steps = 3;
  EXPECT_EQ(args.warmup_steps_for(95), 3);
}

TEST(TrainingArgs, EveryDocumentedKeyIsAccepted) {
  const auto docs = TrainingArguments::docs();
  std::vector<std::string> names;
  for (const auto& doc : docs) {
    EXPECT_FALSE(doc.help.empty()) << doc.name;
    EXPECT_FALSE(doc.type.empty()) << doc.name;
    names.push_back(doc.name);
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end())
      << "a key is documented twice";
}

TEST(TrainingArgs, EveryOptionIsDescribedInTrainingMd) {
  const auto doc_path = wizard::test::source_dir() / "docs" / "training.md";
  ASSERT_TRUE(std::filesystem::exists(doc_path)) << "docs/training.md is missing";
  const std::string text = wizard::test::read_text(doc_path);
  for (const auto& doc : TrainingArguments::docs()) {
    EXPECT_NE(text.find("`" + doc.name + "`"), std::string::npos)
        << doc.name << " is not in docs/training.md";
  }
}
