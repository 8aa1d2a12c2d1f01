// Learning-rate schedules as transformers' get_scheduler builds them: a LambdaLR whose
// factor depends on the number of scheduler steps taken so far. The optimizer step number
// k (1-based) uses factor(k - 1): with warmup, the first step runs at learning rate 0.
//
//   linear                 t < w: t / max(1, w);  else max(0, (T - t) / max(1, T - w))
//   cosine                 t < w: t / max(1, w);  else max(0, (1 + cos(pi * 2c * p)) / 2),
//                          p = (t - w) / max(1, T - w), c = num_cycles (0.5)
//   constant               1
//   constant_with_warmup   t < w: t / max(1, w);  else 1
//   inverse_sqrt           t < w: t / max(1, w);  else 1 / sqrt((t + s - w) / s),
//                          s = timescale (default w, or 10000 when w = 0)
//
// (t = steps taken, w = warmup steps, T = total training steps.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wizard/base/export.hpp"

namespace wizard::train {

enum class ScheduleType { linear, cosine, constant, constant_with_warmup, inverse_sqrt };

WIZARD_API const std::vector<std::string>& schedule_type_names();
WIZARD_API std::optional<ScheduleType> schedule_type_from_name(const std::string& name);
WIZARD_API std::string schedule_type_name(ScheduleType type);

struct WIZARD_API LrSchedule {
  ScheduleType type = ScheduleType::linear;
  int64_t warmup_steps = 0;
  int64_t training_steps = 0;
  double num_cycles = 0.5;           // cosine
  std::optional<int64_t> timescale;  // inverse_sqrt

  // The factor of the base learning rate after `steps_taken` scheduler steps.
  double factor(int64_t steps_taken) const;
  double learning_rate(double base, int64_t steps_taken) const {
    return base * factor(steps_taken);
  }
};

}  // namespace wizard::train
