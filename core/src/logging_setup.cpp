#include "logging_setup.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/ringbuffer_sink.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/distributed/environment.hpp"

namespace wizard::core {

namespace {

std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt>& early_messages() {
  static std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink;
  return sink;
}

}  // namespace

void setup_console_logging(const std::string& level) {
  const auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    throw UsageError("--log-level " + level + ": use trace, debug, info, warn, error or off");
  }
  auto log = wizard::logger();
  for (auto& sink : log->sinks()) sink->set_level(parsed);
  // The other ranks of a data-parallel run print warnings and errors only, marked with their
  // rank (rank 0 prints and logs the run as a single process would).
  const auto& launch = distributed::LaunchEnvironment::current();
  if (launch.distributed() && !launch.is_main()) {
    for (auto& sink : log->sinks()) {
      sink->set_level(std::max(parsed, spdlog::level::warn));
      sink->set_pattern("%^[%H:%M:%S %l rank " + std::to_string(launch.rank) + "]%$ %v");
    }
  }
  // The logger itself passes everything at debug and above; sinks filter.
  log->set_level(std::min(parsed, spdlog::level::debug));
  auto ring = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000);
  ring->set_level(spdlog::level::debug);
  ring->set_pattern("[%Y-%m-%d %H:%M:%S.%e %l] %v");
  log->sinks().push_back(ring);
  early_messages() = ring;
}

void add_log_file(const std::filesystem::path& dir) {
  auto log = wizard::logger();
  const auto path = dir / "wizard.log";
  std::ofstream out(path, std::ios::app);
  if (!out) {
    throw Error("cannot write the run's log file " + path.string() + " (" + std::strerror(errno) +
                "); check that output_dir is writable and the disk has free space");
  }
  auto& ring = early_messages();
  if (ring) {
    // Write what was logged before the run folder was known, then stop buffering.
    for (const auto& line : ring->last_formatted()) out << line;
    auto& sinks = log->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), ring), sinks.end());
    ring.reset();
  }
  auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path.string());
  file->set_level(spdlog::level::debug);
  file->set_pattern("[%Y-%m-%d %H:%M:%S.%e %l] %v");
  log->sinks().push_back(file);
}

}  // namespace wizard::core
