// Helpers for the preference tests: the loss plugins from the build's plugin
// folder, plugin tables from TOML text, and dtype names as the fixtures write them.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>

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

// "float32", "bfloat16", "float64", "float16" as LibTorch dtypes.
at::ScalarType dtype_named(const std::string& name);

// A PreferenceLogps in float64 from plain numbers (counts default to 1 token).
PreferenceLogps pair_logps(std::initializer_list<double> chosen_sum,
                           std::initializer_list<double> rejected_sum,
                           std::initializer_list<double> chosen_tokens = {},
                           std::initializer_list<double> rejected_tokens = {},
                           double nll_loss = 0.0);

}  // namespace wizard::test
