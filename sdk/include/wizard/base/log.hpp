// One logger for the host and every plugin ("wizard"), so console level and the
// run's log file apply everywhere.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>

#include "wizard/base/export.hpp"

namespace wizard {

// The process-wide logger; created on first use with a console sink.
WIZARD_API std::shared_ptr<spdlog::logger> logger();

}  // namespace wizard
