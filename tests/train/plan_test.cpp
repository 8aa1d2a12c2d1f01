// Steps and epochs as HF's Trainer counts them.
#include <gtest/gtest.h>

#include "train_test_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/train/plan.hpp"

using wizard::train::TrainingArguments;
using wizard::train::TrainingPlan;

TEST(TrainingPlan, EpochsGiveCeilOfMicroBatchesOverAccumulation) {
  TrainingArguments args;
  args.num_train_epochs = 2;
  args.gradient_accumulation_steps = 3;
  // 10 micro-batches, windows of 3: steps after micro-batches 3, 6, 9 and 10 -> 4 per epoch.
  const auto plan = TrainingPlan::make(args, 10);
  EXPECT_EQ(plan.update_steps_per_epoch, 4);
  EXPECT_EQ(plan.max_steps, 8);
  EXPECT_EQ(plan.num_epochs, 2);
}

TEST(TrainingPlan, MaxStepsOverridesEpochs) {
  TrainingArguments args;
  args.num_train_epochs = 100;
  args.max_steps = 5;
  args.gradient_accumulation_steps = 3;
  const auto plan = TrainingPlan::make(args, 10);  // 4 steps per epoch
  EXPECT_EQ(plan.max_steps, 5);
  EXPECT_EQ(plan.num_epochs, 2);  // ceil(5 / 4)
}

TEST(TrainingPlan, FractionalEpochs) {
  TrainingArguments args;
  args.num_train_epochs = 1.5;
  const auto plan = TrainingPlan::make(args, 7);  // 7 steps per epoch
  EXPECT_EQ(plan.max_steps, 11);                  // ceil(10.5)
  EXPECT_EQ(plan.num_epochs, 2);
}

TEST(TrainingPlan, AtLeastOneStepPerEpoch) {
  TrainingArguments args;
  args.num_train_epochs = 3;
  args.gradient_accumulation_steps = 8;
  const auto plan = TrainingPlan::make(args, 2);
  EXPECT_EQ(plan.update_steps_per_epoch, 1);
  EXPECT_EQ(plan.max_steps, 3);
}

TEST(TrainingPlan, IntervalsAndWarmup) {
  TrainingArguments args;
  args.max_steps = 40;
  args.logging_steps = 0.25;  // a fraction of the total: ceil(40 * 0.25)
  args.eval_steps = 0.1;
  args.save_steps = 15;
  args.warmup_ratio = 0.05;
  const auto plan = TrainingPlan::make(args, 100);
  EXPECT_EQ(plan.logging_steps, 10);
  EXPECT_EQ(plan.eval_steps, 4);
  EXPECT_EQ(plan.save_steps, 15);
  EXPECT_EQ(plan.warmup_steps, 2);  // ceil(40 * 0.05)
}

TEST(TrainingPlan, NoMicroBatchesIsAnError) {
  wizard::test::expect_throw_with<wizard::Error>([] { TrainingPlan::make(TrainingArguments(), 0); },
                                                 {"no micro-batches"});
}

TEST(TrainingPlan, DerivedCountsCannotOverflow) {
  // Arguments built in code skip the config's range checks; the plan still never wraps.
  TrainingArguments args;
  args.max_steps = INT64_MAX;
  const auto plan = TrainingPlan::make(args, 3);
  EXPECT_EQ(plan.max_steps, INT64_MAX);
  EXPECT_EQ(plan.num_epochs, INT64_MAX / 3 + 1);  // ceil(max / 3) without computing max + 2
  TrainingArguments epochs;
  epochs.num_train_epochs = 1e300;
  wizard::test::expect_throw_with<wizard::ConfigError>(
      [&] { TrainingPlan::make(epochs, 10); },
      {"num_train_epochs x steps per epoch", "more than wizard counts (1e15)"});
}
