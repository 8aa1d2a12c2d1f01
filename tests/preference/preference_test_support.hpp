// Helpers for the preference tests: the loss plugins from the build's plugin
// folder, plugin tables from TOML text, and dtype names as the fixtures write them.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "plugin_registry.hpp"
#include "wizard/base/config.hpp"
#include "wizard/plugin/loss.hpp"

namespace wizard::test {

// One registry over the build's plugin folder, loaded once per process.
core::PluginRegistry& loss_registry();

// A plugin table from TOML text ("beta = 0.5\n").
Config toml_table(const std::string& toml);

// Creates loss `name` from its real .so with the table `toml`.
std::shared_ptr<Loss> create_loss(const std::string& name, const std::string& toml = "");
// The same with a recipe's schema defaults `defaults_toml` (Config::with_defaults).
std::shared_ptr<Loss> create_loss(const std::string& name, const std::string& toml,
                                  const std::string& defaults_toml);

// "float32", "bfloat16", "float64", "float16" as LibTorch dtypes.
at::ScalarType dtype_named(const std::string& name);

// Plain numbers as a float64 tensor on the test device (WIZARD_TEST_DEVICE).
at::Tensor doubles_on_device(const std::vector<double>& values);

// The PreferenceScores of B pairs (K = 1) in float64 on the test device, from plain numbers
// (token counts default to 1).
PreferenceScores pair_scores(std::initializer_list<double> chosen_sum,
                             std::initializer_list<double> rejected_sum,
                             std::initializer_list<double> chosen_tokens = {},
                             std::initializer_list<double> rejected_tokens = {},
                             double nll_loss = 0.0);

// B examples with several negatives each, in float64 on the test device: row i of `negatives`
// holds example i's negative sums; shorter rows are padded to the longest with masked entries
// (sum 0, 1 token). Token counts default to 1; `negative_tokens` rows match `negatives`.
PreferenceScores multi_scores(const std::vector<double>& chosen_sum,
                              const std::vector<std::vector<double>>& negatives,
                              const std::vector<double>& chosen_tokens = {},
                              const std::vector<std::vector<double>>& negative_tokens = {},
                              double nll_loss = 0.0);

// Element i (or [i][k]) of a tensor as a double.
double value_at(const at::Tensor& tensor, int64_t i);
double value_at(const at::Tensor& tensor, int64_t i, int64_t k);

}  // namespace wizard::test
