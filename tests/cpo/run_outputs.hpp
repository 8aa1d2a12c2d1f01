// Reading what a wizard run wrote, and a tiny model to run with.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "test_support.hpp"

// Expects `needle` in `haystack`, printing both when it is missing.
#define EXPECT_CONTAINS(haystack, needle)                                                       \
  EXPECT_NE((haystack).find(needle), std::string::npos) << "missing: " << (needle) << "\nin:\n" \
                                                        << (haystack)

namespace wizard::test {

// Every non-empty line of a JSON Lines file, parsed; throws when it cannot be opened.
std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& file);

// Every line of output_dir/metrics.jsonl.
std::vector<nlohmann::json> read_metrics(const std::filesystem::path& output_dir);

// The metric `name` of every line that has it, in order.
std::vector<double> metric_series(const std::vector<nlohmann::json>& lines,
                                  const std::string& name);

// The training loss of every logged step after `step`, in order (resume comparisons).
std::vector<double> losses_after(const std::vector<nlohmann::json>& lines, int step);

// A tiny random chat model (wizard init-model), made once per test binary.
std::filesystem::path tiny_model();

// A folder holding config.toml: a small CPO run of the tiny model on generated uppercase
// pairs (float32, batches of 8, 24 held out, no evaluation or saving unless `extra` sets
// them); `extra` adds training arguments.
std::filesystem::path synthetic_config(const std::string& name, const std::string& extra,
                                       int rows = 120);

}  // namespace wizard::test
