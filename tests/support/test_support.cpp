#include "test_support.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>

namespace wizard::test {

namespace fs = std::filesystem;

static std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::string(value) : fallback;
}

fs::path refs_dir() {
  return fs::path(env_or("WIZARD_REFS", WIZARD_TEST_DEFAULT_REFS));
}

fs::path refs_path(const std::string& relative) {
  return refs_dir().parent_path() / relative;
}

fs::path source_dir() {
  return fs::path(WIZARD_TEST_SOURCE_DIR);
}
fs::path build_dir() {
  return fs::path(WIZARD_TEST_BUILD_DIR);
}
fs::path wizard_binary() {
  return fs::path(WIZARD_TEST_BIN);
}
fs::path plugin_dir() {
  return fs::path(WIZARD_TEST_PLUGIN_DIR);
}

fs::path temp_dir(const std::string& name) {
  std::random_device device;
  const fs::path dir = fs::temp_directory_path() /
                       ("wizard-test-" + name + "-" + std::to_string(device() % 1000000000));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open fixture " + path.string());
  return nlohmann::json::parse(in);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

RunResult run_wizard(const std::string& args, const fs::path& cwd, const std::string& env) {
  const std::string command = "cd '" + cwd.string() + "' && " + env + " '" +
                              wizard_binary().string() + "' " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  RunResult result;
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
    result.output.append(buffer.data(), n);
  }
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace wizard::test
