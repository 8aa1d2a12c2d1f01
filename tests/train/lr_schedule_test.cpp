// The schedules at chosen steps against transformers' lr_lambda formulas, worked by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "wizard/train/lr_schedule.hpp"

using wizard::train::LrSchedule;
using wizard::train::ScheduleType;

namespace {

LrSchedule make(ScheduleType type, int64_t warmup, int64_t total) {
  LrSchedule schedule;
  schedule.type = type;
  schedule.warmup_steps = warmup;
  schedule.training_steps = total;
  return schedule;
}

}  // namespace

TEST(LrSchedule, Linear) {
  // warmup 2, total 10: t < 2: t / 2;  else max(0, (10 - t) / 8)
  const auto s = make(ScheduleType::linear, 2, 10);
  EXPECT_DOUBLE_EQ(s.factor(0), 0.0);  // the first step runs at learning rate 0
  EXPECT_DOUBLE_EQ(s.factor(1), 0.5);
  EXPECT_DOUBLE_EQ(s.factor(2), 1.0);
  EXPECT_DOUBLE_EQ(s.factor(6), 0.5);  // (10 - 6) / 8
  EXPECT_DOUBLE_EQ(s.factor(9), 0.125);
  EXPECT_DOUBLE_EQ(s.factor(10), 0.0);
  EXPECT_DOUBLE_EQ(s.factor(12), 0.0);  // never negative
  // No warmup: (T - t) / T from the start.
  EXPECT_DOUBLE_EQ(make(ScheduleType::linear, 0, 4).factor(0), 1.0);
  EXPECT_DOUBLE_EQ(make(ScheduleType::linear, 0, 4).factor(1), 0.75);
  EXPECT_DOUBLE_EQ(s.learning_rate(1e-3, 6), 5e-4);
}

TEST(LrSchedule, Cosine) {
  // warmup 2, total 10: progress p = (t - 2) / 8; factor = (1 + cos(pi * 2 * 0.5 * p)) / 2
  const auto s = make(ScheduleType::cosine, 2, 10);
  EXPECT_DOUBLE_EQ(s.factor(1), 0.5);
  EXPECT_DOUBLE_EQ(s.factor(2), 1.0);                           // p = 0
  EXPECT_NEAR(s.factor(4), 0.5 * (1 + std::sqrt(0.5)), 1e-15);  // p = 1/4: cos(pi/4)
  EXPECT_NEAR(s.factor(6), 0.5, 1e-15);                         // p = 1/2: cos(pi/2) = 0
  EXPECT_NEAR(s.factor(10), 0.0, 1e-15);                        // p = 1: cos(pi) = -1
  // num_cycles 1: a full period, back up at the end.
  auto full = s;
  full.num_cycles = 1.0;
  EXPECT_NEAR(full.factor(6), 0.0, 1e-15);   // cos(pi)
  EXPECT_NEAR(full.factor(10), 1.0, 1e-15);  // cos(2 pi)
}

TEST(LrSchedule, ConstantAndConstantWithWarmup) {
  const auto constant = make(ScheduleType::constant, 5, 10);
  EXPECT_DOUBLE_EQ(constant.factor(0), 1.0);  // get_constant_schedule ignores warmup
  EXPECT_DOUBLE_EQ(constant.factor(7), 1.0);
  const auto warm = make(ScheduleType::constant_with_warmup, 4, 10);
  EXPECT_DOUBLE_EQ(warm.factor(0), 0.0);
  EXPECT_DOUBLE_EQ(warm.factor(1), 0.25);
  EXPECT_DOUBLE_EQ(warm.factor(4), 1.0);
  EXPECT_DOUBLE_EQ(warm.factor(100), 1.0);
}

TEST(LrSchedule, InverseSqrt) {
  // warmup 4: timescale = 4, shift = 0: factor = 1 / sqrt(t / 4) after warmup.
  const auto s = make(ScheduleType::inverse_sqrt, 4, 100);
  EXPECT_DOUBLE_EQ(s.factor(2), 0.5);
  EXPECT_DOUBLE_EQ(s.factor(4), 1.0);
  EXPECT_DOUBLE_EQ(s.factor(16), 0.5);
  // No warmup: timescale 10000: factor = 1 / sqrt(t / 10000 + 1) with shift 10000.
  const auto cold = make(ScheduleType::inverse_sqrt, 0, 100);
  EXPECT_DOUBLE_EQ(cold.factor(0), 1.0);
  EXPECT_NEAR(cold.factor(30000), 0.5, 1e-15);  // 1 / sqrt(40000 / 10000)
  // An explicit timescale 8 with warmup 4: shift 4: factor = 1 / sqrt((t + 4) / 8).
  auto scaled = s;
  scaled.timescale = 8;
  EXPECT_DOUBLE_EQ(scaled.factor(4), 1.0);
  EXPECT_DOUBLE_EQ(scaled.factor(28), 0.5);
}

TEST(LrSchedule, Names) {
  EXPECT_EQ(wizard::train::schedule_type_from_name("constant_with_warmup"),
            ScheduleType::constant_with_warmup);
  EXPECT_FALSE(wizard::train::schedule_type_from_name("polynomial").has_value());
  for (const auto& name : wizard::train::schedule_type_names()) {
    EXPECT_EQ(wizard::train::schedule_type_name(*wizard::train::schedule_type_from_name(name)),
              name);
  }
}
