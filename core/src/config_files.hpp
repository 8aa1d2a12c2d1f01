// Reading configuration files into the SDK's ConfigValue tree, keeping where
// every value was written. TOML (the main format), JSON and YAML share one schema.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "wizard/base/config_value.hpp"

namespace wizard::core {

// Picks the reader by extension (.toml, .json, .yaml/.yml). Syntax errors are
// ConfigErrors with file:line:column; a missing file says so.
ConfigValue read_config_file(const std::filesystem::path& path);

ConfigValue read_toml(const std::string& text, const std::string& file);
ConfigValue read_json(const std::string& text, const std::string& file);
ConfigValue read_yaml(const std::string& text, const std::string& file);

// Applies `key.path=value` overrides in order. The value is read as a TOML
// value (numbers, bools, quoted strings, [arrays], {inline tables}); anything
// that is not valid TOML is taken as a plain string, so paths need no quotes.
void apply_overrides(ConfigValue& root, const std::vector<std::string>& overrides);

// The resolved configuration as TOML text (nulls omitted: TOML has none).
std::string write_toml(const ConfigValue& root);

}  // namespace wizard::core
