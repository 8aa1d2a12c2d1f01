#include "wizard/base/config.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>

#include "wizard/base/error.hpp"
#include "wizard/base/text.hpp"

namespace wizard {

struct Config::Document {
  ConfigValue source;
  ConfigValue resolved;
  std::mutex mutex;  // recording defaults may happen from several plugins
};

Config::Config() : Config(ConfigValue::table()) {}

Config::Config(ConfigValue root) {
  if (!root.is(ConfigValue::Kind::Table)) {
    throw ConfigError(root.location().str() +
                      ": the configuration must be a table of keys, not a " + root.kind_name());
  }
  document_ = std::make_shared<Document>();
  document_->source = std::move(root);
  document_->resolved = document_->source;
  node_ = &document_->source;
}

Config::Config(std::shared_ptr<Document> document, std::vector<PathElement> path,
               const ConfigValue* node)
    : document_(std::move(document)), path_(std::move(path)), node_(node) {}

std::string Config::path() const {
  std::string out;
  for (const auto& element : path_) {
    if (const auto* key = std::get_if<std::string>(&element)) {
      if (!out.empty()) out += ".";
      out += *key;
    } else {
      out += "[" + std::to_string(std::get<std::size_t>(element)) + "]";
    }
  }
  return out;
}

std::string Config::key_path(const std::string& key) const {
  const std::string base = path();
  return base.empty() ? key : base + "." + key;
}

SourceLocation Config::location() const {
  if (node_) return node_->location();
  // An absent table: point at the file at least.
  return SourceLocation{document_->source.location().file, 0, 0};
}

SourceLocation Config::location(const std::string& key) const {
  if (const ConfigValue* value = find(key)) return value->location();
  return location();
}

std::vector<std::string> Config::keys() const {
  std::vector<std::string> out;
  if (node_ && node_->is(ConfigValue::Kind::Table)) {
    for (const auto& entry : node_->as_table()) out.push_back(entry.first);
  }
  return out;
}

const ConfigValue* Config::find(const std::string& key) const {
  return node_ ? node_->find(key) : nullptr;
}

Config Config::with_defaults(ConfigValue defaults) const {
  if (!defaults.is(ConfigValue::Kind::Table)) {
    throw ConfigError(defaults.location().str() + ": the defaults of " +
                      (path().empty() ? std::string("the configuration") : path()) +
                      " must be a table of keys, not a " + defaults.kind_name());
  }
  Config out = *this;
  out.defaults_root_ = std::make_shared<const ConfigValue>(std::move(defaults));
  out.defaults_ = out.defaults_root_.get();
  return out;
}

const ConfigValue* Config::find_default(const std::string& key) const {
  return defaults_ ? defaults_->find(key) : nullptr;
}

const ConfigValue* Config::find_value(const std::string& key) const {
  if (const ConfigValue* value = find(key)) return value;
  return find_default(key);
}

void Config::fail(const std::string& key, const std::string& message) const {
  const SourceLocation where = key.empty() ? location() : location(key);
  const std::string what =
      key.empty() ? (path().empty() ? "the configuration" : path()) : key_path(key);
  throw ConfigError(where.str() + ": " + what + ": " + message);
}

// --- conversions between ConfigValue and C++ types -------------------------

namespace {

std::string describe(const ConfigValue& value) {
  switch (value.kind()) {
    case ConfigValue::Kind::String:
      return "a string (\"" + value.as_string() + "\")";
    case ConfigValue::Kind::Integer:
      return "an integer (" + std::to_string(value.as_integer()) + ")";
    case ConfigValue::Kind::Float: {
      std::ostringstream out;
      out << "a float (" << value.as_float() << ")";
      return out.str();
    }
    case ConfigValue::Kind::Bool:
      return std::string("a bool (") + (value.as_bool() ? "true" : "false") + ")";
    case ConfigValue::Kind::Array:
      return "an array";
    case ConfigValue::Kind::Table:
      return "a table";
    case ConfigValue::Kind::Null:
      return "null";
  }
  return "?";
}

template <class T>
struct Converter;

[[noreturn]] void type_error(const ConfigValue& value, const std::string& key_path,
                             const std::string& expected) {
  throw ConfigError(value.location().str() + ": " + key_path + " must be " + expected +
                    ", but it is " + describe(value));
}

template <>
struct Converter<bool> {
  static bool from(const ConfigValue& v, const std::string& key) {
    if (!v.is(ConfigValue::Kind::Bool)) type_error(v, key, "a bool (true or false)");
    return v.as_bool();
  }
  static ConfigValue to(bool value) { return ConfigValue::boolean(value); }
};

template <>
struct Converter<std::int64_t> {
  static std::int64_t from(const ConfigValue& v, const std::string& key) {
    if (!v.is(ConfigValue::Kind::Integer)) type_error(v, key, "an integer");
    return v.as_integer();
  }
  static ConfigValue to(std::int64_t value) { return ConfigValue::integer(value); }
};

template <>
struct Converter<int> {
  static int from(const ConfigValue& v, const std::string& key) {
    const std::int64_t wide = Converter<std::int64_t>::from(v, key);
    if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max()) {
      throw ConfigError(v.location().str() + ": " + key + " = " + std::to_string(wide) +
                        " is out of range for a 32-bit integer");
    }
    return static_cast<int>(wide);
  }
  static ConfigValue to(int value) { return ConfigValue::integer(value); }
};

template <>
struct Converter<double> {
  static double from(const ConfigValue& v, const std::string& key) {
    if (!v.is(ConfigValue::Kind::Float) && !v.is(ConfigValue::Kind::Integer)) {
      type_error(v, key, "a number");
    }
    // nan and inf parse in TOML and YAML, but no option means anything by them.
    if (!std::isfinite(v.as_float())) type_error(v, key, "a finite number");
    return v.as_float();
  }
  static ConfigValue to(double value) { return ConfigValue::floating(value); }
};

template <>
struct Converter<std::string> {
  static std::string from(const ConfigValue& v, const std::string& key) {
    if (!v.is(ConfigValue::Kind::String)) type_error(v, key, "a string");
    return v.as_string();
  }
  static ConfigValue to(const std::string& value) { return ConfigValue::string(value); }
};

template <class Item>
struct Converter<std::vector<Item>> {
  static std::vector<Item> from(const ConfigValue& v, const std::string& key) {
    if (!v.is(ConfigValue::Kind::Array)) type_error(v, key, "an array");
    std::vector<Item> out;
    const auto& items = v.as_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      out.push_back(Converter<Item>::from(items[i], key + "[" + std::to_string(i) + "]"));
    }
    return out;
  }
  static ConfigValue to(const std::vector<Item>& values) {
    ConfigValue::Array items;
    for (const auto& value : values) items.push_back(Converter<Item>::to(value));
    return ConfigValue::array(std::move(items));
  }
};

}  // namespace

template <class T>
T Config::get(const std::string& key, const T& fallback) const {
  if (const ConfigValue* value = find(key)) return Converter<T>::from(*value, key_path(key));
  if (const ConfigValue* value = find_default(key)) {
    T converted = Converter<T>::from(*value, key_path(key));
    record_default(key, *value);
    return converted;
  }
  record_default(key, Converter<T>::to(fallback));
  return fallback;
}

template <class T>
T Config::require(const std::string& key) const {
  if (const ConfigValue* value = find_value(key)) return Converter<T>::from(*value, key_path(key));
  fail("", "the required key '" + key + "' is missing (" + key_path(key) + ")");
}

template <class T>
std::optional<T> Config::optional(const std::string& key) const {
  if (const ConfigValue* value = find_value(key)) {
    if (value->is(ConfigValue::Kind::Null)) return std::nullopt;
    T converted = Converter<T>::from(*value, key_path(key));
    if (value != find(key)) record_default(key, *value);  // a default: resolved shows it
    return converted;
  }
  return std::nullopt;
}

#define WIZARD_CONFIG_DEFINE(T)                                             \
  template WIZARD_API T Config::get<T>(const std::string&, const T&) const; \
  template WIZARD_API T Config::require<T>(const std::string&) const;       \
  template WIZARD_API std::optional<T> Config::optional<T>(const std::string&) const;
WIZARD_CONFIG_DEFINE(bool)
WIZARD_CONFIG_DEFINE(int)
WIZARD_CONFIG_DEFINE(std::int64_t)
WIZARD_CONFIG_DEFINE(double)
WIZARD_CONFIG_DEFINE(std::string)
WIZARD_CONFIG_DEFINE(std::vector<std::string>)
WIZARD_CONFIG_DEFINE(std::vector<std::int64_t>)
WIZARD_CONFIG_DEFINE(std::vector<double>)
#undef WIZARD_CONFIG_DEFINE

// --- ranges ---------------------------------------------------------------------

namespace {

// Numbers as a user writes them: 1e-06, 10, 0.999, 1e+300.
std::string number_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

double Config::get_number(const std::string& key, double fallback, double min, double max) const {
  const double value = get<double>(key, fallback);
  check_range(key, value, min, max);
  return value;
}

std::int64_t Config::get_int(const std::string& key, std::int64_t fallback, std::int64_t min,
                             std::int64_t max) const {
  const std::int64_t value = get<std::int64_t>(key, fallback);
  check_int_range(key, value, min, max);
  return value;
}

void Config::check_range(const std::string& key, double value, double min, double max) const {
  if (std::isfinite(value) && value >= min && value <= max) return;
  fail(key, "must be a finite number in [" + number_text(min) + ", " + number_text(max) +
                "], but it is " + number_text(value));
}

void Config::check_int_range(const std::string& key, std::int64_t value, std::int64_t min,
                             std::int64_t max) const {
  if (value >= min && value <= max) return;
  fail(key, "must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) +
                "], but it is " + std::to_string(value));
}

// --- sub-tables ----------------------------------------------------------------

Config Config::table(const std::string& key) const {
  auto path = path_;
  path.emplace_back(key);
  const ConfigValue* value = find(key);
  if (value && !value->is(ConfigValue::Kind::Table)) {
    type_error(*value, key_path(key), "a table");
  }
  Config out(document_, std::move(path), value);
  const ConfigValue* defaults = find_default(key);
  if (defaults && defaults->is(ConfigValue::Kind::Table)) {
    out.defaults_root_ = defaults_root_;
    out.defaults_ = defaults;
  }
  return out;
}

std::vector<Config> Config::tables(const std::string& key) const {
  std::vector<Config> out;
  const ConfigValue* value = find(key);
  if (!value) return out;
  if (!value->is(ConfigValue::Kind::Array)) type_error(*value, key_path(key), "an array of tables");
  const auto& items = value->as_array();
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is(ConfigValue::Kind::Table)) {
      type_error(items[i], key_path(key) + "[" + std::to_string(i) + "]", "a table");
    }
    auto path = path_;
    path.emplace_back(key);
    path.emplace_back(i);
    out.push_back(Config(document_, std::move(path), &items[i]));
  }
  return out;
}

// --- strict keys ---------------------------------------------------------------

void Config::check_keys(const OptionDocs& options) const {
  if (!node_) return;
  // Options of this table, and dotted children grouped by their first segment.
  std::vector<std::string> names{"spec_class"};
  if (path_.empty()) {
    // Top-level keys the host itself reads.
    names.insert(names.end(), {"recipe_class", "plugin_paths"});
  }
  std::map<std::string, OptionDocs> children;
  for (const auto& option : options) {
    const auto dot = option.name.find('.');
    if (dot == std::string::npos) {
      names.push_back(option.name);
    } else {
      OptionDoc child = option;
      child.name = option.name.substr(dot + 1);
      children[option.name.substr(0, dot)].push_back(std::move(child));
    }
  }
  for (const auto& child : children) {
    const std::string& prefix = child.first;
    if (std::find(names.begin(), names.end(), prefix) == names.end()) names.push_back(prefix);
  }
  for (const auto& key : keys()) {
    if (std::find(names.begin(), names.end(), key) == names.end()) {
      std::string message = "unknown key '" + key_path(key) + "'";
      if (auto suggestion = nearest_name(key, names)) {
        message += "; did you mean '" + *suggestion + "'?";
      } else {
        message += "; valid keys here: " + join(names);
      }
      throw ConfigError(location(key).str() + ": " + message);
    }
    const auto nested = children.find(key);
    if (nested != children.end() && find(key)->is(ConfigValue::Kind::Table)) {
      table(key).check_keys(nested->second);
    }
  }
}

// --- the resolved document ---------------------------------------------------------

ConfigValue* Config::resolved_node(bool create) const {
  ConfigValue* node = &document_->resolved;
  for (const auto& element : path_) {
    if (const auto* key = std::get_if<std::string>(&element)) {
      ConfigValue* child = node->find(*key);
      if (!child) {
        if (!create || !(node->is(ConfigValue::Kind::Table) || node->is(ConfigValue::Kind::Null))) {
          return nullptr;
        }
        child = &node->set(*key, ConfigValue::table());
      }
      node = child;
    } else {
      const std::size_t index = std::get<std::size_t>(element);
      if (!node->is(ConfigValue::Kind::Array) || index >= node->as_array().size()) return nullptr;
      node = &node->as_array()[index];
    }
  }
  return node;
}

void Config::record_default(const std::string& key, ConfigValue value) const {
  std::lock_guard<std::mutex> lock(document_->mutex);
  ConfigValue* node = resolved_node(/*create=*/true);
  if (node && !node->find(key)) node->set(key, std::move(value));
}

void Config::record(const std::string& key, ConfigValue value) const {
  std::lock_guard<std::mutex> lock(document_->mutex);
  if (ConfigValue* node = resolved_node(/*create=*/true)) node->set(key, std::move(value));
}

const ConfigValue& Config::resolved() const {
  return document_->resolved;
}
const ConfigValue& Config::source() const {
  return document_->source;
}

}  // namespace wizard
