// Runs of dp_train_helper (beside the test binary) by one process or several ranks on
// loopback, and comparisons of their metrics and final weights.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace wizard::test {

// dp_train_helper with `dir` and `options`.
std::vector<std::string> helper_argv(const std::filesystem::path& dir,
                                     const std::vector<std::string>& options);

// Runs `world` ranks (0: one process without launch variables) into `dir`; every exit code.
// Rank r's output goes to <dir>.rank<r>.log.
std::vector<int> run_ranks(int world, const std::filesystem::path& dir,
                           const std::vector<std::string>& options, double seconds = 120);
std::string rank_log(const std::filesystem::path& dir, int rank);

// The values of `key` in the training log events of dir/metrics.jsonl, by step.
std::vector<double> series(const std::filesystem::path& dir, const std::string& key);

// Relative `tolerance` (absolute below 1).
void expect_close(const std::vector<double>& a, const std::vector<double>& b, const char* what,
                  double tolerance = 1e-5);
// The regression task's layer-0 weight and bias of two runs' model.safetensors.
void expect_same_weights(const std::filesystem::path& a, const std::filesystem::path& b,
                         double tolerance);
// Every tensor of two runs' model.safetensors.
void expect_same_model(const std::filesystem::path& a, const std::filesystem::path& b,
                       double tolerance);

}  // namespace wizard::test
