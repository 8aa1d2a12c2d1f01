// Helpers shared by the test suites: where the golden fixtures and the source
// tree are, and reading JSON fixtures.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <string>

namespace wizard::test {

// The golden set folder: $WIZARD_REFS, else ../shared/refs/public beside the checkout.
std::filesystem::path refs_dir();

// Paths inside case files are relative to the parent of the set folder.
std::filesystem::path refs_path(const std::string& relative);

// The wizard source tree (for example configs and test data).
std::filesystem::path source_dir();
// The build tree, the wizard binary in it, and its built-in plugin folder.
std::filesystem::path build_dir();
std::filesystem::path wizard_binary();
std::filesystem::path plugin_dir();

// A fresh, empty temporary folder for one test, removed by the OS eventually.
std::filesystem::path temp_dir(const std::string& name);

nlohmann::json read_json(const std::filesystem::path& path);
// A whole file as a string (throws when it cannot be opened).
std::string read_text(const std::filesystem::path& path);

// The message of the wizard::ConfigError `action` throws ("" when it throws none).
std::string config_error_of(const std::function<void()>& action);

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `wizard <args>` in `cwd` with `env` ("NAME=value ...") before it.
RunResult run_wizard(const std::string& args,
                     const std::filesystem::path& cwd = std::filesystem::current_path(),
                     const std::string& env = "");

}  // namespace wizard::test
