#include "dp_runs.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "rank_processes.hpp"
#include "test_support.hpp"
#include "train_test_support.hpp"
#include "wizard/model/safetensors.hpp"

namespace wizard::test {

namespace fs = std::filesystem;

namespace {

fs::path helper() {
  return fs::read_symlink("/proc/self/exe").parent_path() / "dp_train_helper";
}

}  // namespace

std::vector<std::string> helper_argv(const fs::path& dir, const std::vector<std::string>& options) {
  std::vector<std::string> argv = {helper().string(), dir.string()};
  argv.insert(argv.end(), options.begin(), options.end());
  return argv;
}

std::vector<int> run_ranks(int world, const fs::path& dir, const std::vector<std::string>& options,
                           double seconds) {
  std::vector<pid_t> pids;
  const int port = free_port();
  const int processes = std::max(world, 1);
  for (int rank = 0; rank < processes; ++rank) {
    pids.push_back(start_process(
        helper_argv(dir, options),
        world == 0 ? std::map<std::string, std::string>{} : rank_variables(rank, world, port),
        dir.string() + ".rank" + std::to_string(rank) + ".log"));
  }
  std::vector<int> codes;
  for (const pid_t pid : pids) codes.push_back(wait_exit(pid, seconds).value_or(-1));
  return codes;
}

std::string rank_log(const fs::path& dir, int rank) {
  return read_text(dir.string() + ".rank" + std::to_string(rank) + ".log");
}

std::vector<double> series(const fs::path& dir, const std::string& key) {
  std::vector<double> out;
  for (const auto& event : read_jsonl(dir / "metrics.jsonl")) {
    if (event.contains(key) && event.contains("learning_rate")) out.push_back(event[key]);
  }
  return out;
}

void expect_close(const std::vector<double>& a, const std::vector<double>& b, const char* what,
                  double tolerance) {
  ASSERT_EQ(a.size(), b.size()) << what;
  ASSERT_FALSE(a.empty()) << what;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(a[i], b[i], tolerance * std::max(1.0, std::abs(b[i])))
        << what << " at step " << i + 1;
  }
}

void expect_same_weights(const fs::path& a, const fs::path& b, double tolerance) {
  const auto one = wizard::safetensors::File::open(a / "model.safetensors");
  const auto two = wizard::safetensors::File::open(b / "model.safetensors");
  for (const char* name :
       {"model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.up_proj.bias"}) {
    const at::Tensor x = one.load(name, at::kFloat), y = two.load(name, at::kFloat);
    EXPECT_LE((x - y).abs().max().item<double>(), tolerance) << name;
  }
}

void expect_same_model(const fs::path& a, const fs::path& b, double tolerance) {
  const auto one = safetensors::File::open(a / "model.safetensors");
  const auto two = safetensors::File::open(b / "model.safetensors");
  ASSERT_EQ(one.tensors().size(), two.tensors().size());
  for (const auto& info : one.tensors()) {
    const at::Tensor x = one.load(info.name, at::kFloat), y = two.load(info.name, at::kFloat);
    EXPECT_LE((x - y).abs().max().item<double>(), tolerance) << info.name;
  }
}

}  // namespace wizard::test
