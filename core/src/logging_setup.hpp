// Console logging with a chosen level, and the run's log file in output_dir.
#pragma once

#include <filesystem>
#include <string>

namespace wizard::core {

// Sets the console level ("trace", "debug", "info", "warn", "error", "off") and
// starts keeping recent messages in memory, so the log file can begin with them.
void setup_console_logging(const std::string& level);

// Adds `<dir>/wizard.log` (appending), first writing the messages kept so far.
void add_log_file(const std::filesystem::path& dir);

}  // namespace wizard::core
