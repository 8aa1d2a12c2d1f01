#include "wizard/base/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>

namespace wizard {

std::shared_ptr<spdlog::logger> logger() {
  static std::once_flag once;
  static std::shared_ptr<spdlog::logger> instance;
  std::call_once(once, [] {
    // stderr keeps stdout free for command output (`wizard plugins`, summaries).
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    instance = std::make_shared<spdlog::logger>("wizard", sink);
    instance->set_pattern("%^[%H:%M:%S %l]%$ %v");
    instance->set_level(spdlog::level::info);
  });
  return instance;
}

}  // namespace wizard
