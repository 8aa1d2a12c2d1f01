#include "wizard/train/lr_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace wizard::train {

namespace {

const std::vector<std::pair<std::string, ScheduleType>>& schedule_types() {
  static const std::vector<std::pair<std::string, ScheduleType>> types = {
      {"linear", ScheduleType::linear},
      {"cosine", ScheduleType::cosine},
      {"constant", ScheduleType::constant},
      {"constant_with_warmup", ScheduleType::constant_with_warmup},
      {"inverse_sqrt", ScheduleType::inverse_sqrt}};
  return types;
}

// The warmup ramp every schedule but "constant" shares: t / max(1, w).
double warmup_factor(int64_t steps_taken, int64_t warmup_steps) {
  return static_cast<double>(steps_taken) / static_cast<double>(std::max<int64_t>(1, warmup_steps));
}

}  // namespace

const std::vector<std::string>& schedule_type_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& entry : schedule_types()) out.push_back(entry.first);
    return out;
  }();
  return names;
}

std::optional<ScheduleType> schedule_type_from_name(const std::string& name) {
  for (const auto& entry : schedule_types()) {
    if (entry.first == name) return entry.second;
  }
  return std::nullopt;
}

std::string schedule_type_name(ScheduleType type) {
  for (const auto& entry : schedule_types()) {
    if (entry.second == type) return entry.first;
  }
  return "?";
}

double LrSchedule::factor(int64_t steps_taken) const {
  const int64_t t = steps_taken;
  const int64_t w = warmup_steps;
  switch (type) {
    case ScheduleType::constant:
      return 1.0;
    case ScheduleType::constant_with_warmup:
      return t < w ? warmup_factor(t, w) : 1.0;
    case ScheduleType::linear:
      if (t < w) return warmup_factor(t, w);
      return std::max(0.0, static_cast<double>(training_steps - t) /
                               static_cast<double>(std::max<int64_t>(1, training_steps - w)));
    case ScheduleType::cosine: {
      if (t < w) return warmup_factor(t, w);
      const double progress = static_cast<double>(t - w) /
                              static_cast<double>(std::max<int64_t>(1, training_steps - w));
      return std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * num_cycles * 2.0 * progress)));
    }
    case ScheduleType::inverse_sqrt: {
      if (t < w) return warmup_factor(t, w);
      const int64_t scale = timescale ? *timescale : (w != 0 ? w : 10000);
      const int64_t shift = scale - w;
      return 1.0 / std::sqrt(static_cast<double>(t + shift) / static_cast<double>(scale));
    }
  }
  return 1.0;
}

}  // namespace wizard::train
