#include "config_files.hpp"

#include <fstream>
#include <sstream>

#include "wizard/base/error.hpp"
#include "wizard/base/text.hpp"

namespace wizard::core {

namespace fs = std::filesystem;

ConfigValue read_config_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(path.string() + ": cannot open the config file (" +
                      (fs::exists(path) ? "permission denied" : "no such file") +
                      "); check the path, which is relative to " + fs::current_path().string());
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  const std::string file = path.string();
  const std::string ext = path.extension().string();
  if (ext == ".toml") return read_toml(text, file);
  if (ext == ".json") return read_json(text, file);
  if (ext == ".yaml" || ext == ".yml") return read_yaml(text, file);
  throw ConfigError(file + ": unknown config format '" + ext +
                    "'; use a .toml, .json, .yaml or .yml file");
}

namespace {

ConfigValue parse_override_value(const std::string& text, const SourceLocation& at) {
  // Read as the value of a one-line TOML document; fall back to a plain string.
  try {
    ConfigValue parsed = read_toml("value = " + text + "\n", at.file);
    ConfigValue value = *parsed.find("value");
    value.set_location(at);
    return value;
  } catch (const ConfigError&) {
    return ConfigValue::string(text, at);
  }
}

}  // namespace

void apply_overrides(ConfigValue& root, const std::vector<std::string>& overrides) {
  for (const std::string& item : overrides) {
    // A config holds UTF-8 text (the resolved TOML could not hold anything else).
    if (const auto place = first_invalid_utf8(item)) {
      throw UsageError("a --set argument is not valid UTF-8 (at character " +
                       std::to_string(place->column) + "): write its key path and value in UTF-8");
    }
    const auto equals = item.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw UsageError("--set " + item +
                       ": expected key.path=value, e.g. --set training_args_spec.beta=0.2");
    }
    const std::string path = item.substr(0, equals);
    const SourceLocation at{"--set " + item, 0, 0};
    std::vector<std::string> keys;
    std::size_t start = 0;
    while (true) {
      const auto dot = path.find('.', start);
      keys.push_back(path.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    ConfigValue* node = &root;
    std::string walked;
    for (std::size_t i = 0; i + 1 < keys.size(); ++i) {
      if (keys[i].empty()) throw UsageError("--set " + item + ": empty key in '" + path + "'");
      walked += (walked.empty() ? "" : ".") + keys[i];
      ConfigValue* child = node->find(keys[i]);
      if (!child) {
        child = &node->set(keys[i], ConfigValue::table({}, at));
      } else if (!child->is(ConfigValue::Kind::Table)) {
        throw UsageError("--set " + item + ": '" + walked + "' is a " + child->kind_name() + " (" +
                         child->location().str() + "), not a table");
      }
      node = child;
    }
    if (keys.back().empty()) throw UsageError("--set " + item + ": empty key in '" + path + "'");
    node->set(keys.back(), parse_override_value(item.substr(equals + 1), at));
  }
}

}  // namespace wizard::core
