// TOML through toml++, which keeps a source region for every node.
#include <toml++/toml.h>

#include <algorithm>
#include <sstream>
#include <utility>
#include <vector>

#include "config_files.hpp"
#include "wizard/base/error.hpp"

namespace wizard::core {

namespace {

SourceLocation where(const toml::node& node, const std::string& file) {
  const auto& begin = node.source().begin;
  return SourceLocation{file, static_cast<int>(begin.line), static_cast<int>(begin.column)};
}

ConfigValue convert(const toml::node& node, const std::string& file) {
  const SourceLocation at = where(node, file);
  if (const auto* table = node.as_table()) {
    // toml++ keeps tables sorted by key; put the keys back in the order the file
    // wrote them (chat templates' tojson output depends on message key order).
    std::vector<std::pair<const toml::key*, const toml::node*>> order;
    for (const auto& [key, value] : *table) order.emplace_back(&key, &value);
    std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
      const auto& x = a.first->source().begin;
      const auto& y = b.first->source().begin;
      return std::make_pair(x.line, x.column) < std::make_pair(y.line, y.column);
    });
    ConfigValue::Table entries;
    for (const auto& [key, value] : order) {
      entries.emplace_back(std::string(key->str()), convert(*value, file));
    }
    return ConfigValue::table(std::move(entries), at);
  }
  if (const auto* array = node.as_array()) {
    ConfigValue::Array items;
    for (const auto& value : *array) items.push_back(convert(value, file));
    return ConfigValue::array(std::move(items), at);
  }
  if (const auto* value = node.as_string()) return ConfigValue::string(value->get(), at);
  if (const auto* value = node.as_integer()) return ConfigValue::integer(value->get(), at);
  if (const auto* value = node.as_floating_point()) return ConfigValue::floating(value->get(), at);
  if (const auto* value = node.as_boolean()) return ConfigValue::boolean(value->get(), at);
  throw ConfigError(at.str() +
                    ": dates and times are not supported in wizard configs; "
                    "write the value as a quoted string");
}

}  // namespace

ConfigValue read_toml(const std::string& text, const std::string& file) {
  try {
    const toml::table root = toml::parse(text, file);
    ConfigValue out = convert(root, file);
    out.set_location(SourceLocation{file, 0, 0});
    return out;
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    const SourceLocation at{file, static_cast<int>(begin.line), static_cast<int>(begin.column)};
    throw ConfigError(at.str() + ": TOML syntax error: " + std::string(error.description()));
  }
}

namespace {

// toml++ formats strings, keys and floats exactly as TOML wants them.
void to_toml(toml::table& table, const std::string& key, const ConfigValue& value);

toml::array to_toml_array(const ConfigValue& value) {
  toml::array array;
  for (const auto& item : value.as_array()) {
    switch (item.kind()) {
      case ConfigValue::Kind::Null:
        break;
      case ConfigValue::Kind::Bool:
        array.push_back(item.as_bool());
        break;
      case ConfigValue::Kind::Integer:
        array.push_back(item.as_integer());
        break;
      case ConfigValue::Kind::Float:
        array.push_back(item.as_float());
        break;
      case ConfigValue::Kind::String:
        array.push_back(item.as_string());
        break;
      case ConfigValue::Kind::Array:
        array.push_back(to_toml_array(item));
        break;
      case ConfigValue::Kind::Table: {
        toml::table nested;
        for (const auto& [k, v] : item.as_table()) to_toml(nested, k, v);
        array.push_back(std::move(nested));
        break;
      }
    }
  }
  return array;
}

void to_toml(toml::table& table, const std::string& key, const ConfigValue& value) {
  switch (value.kind()) {
    case ConfigValue::Kind::Null:
      return;  // TOML has no null: omitted
    case ConfigValue::Kind::Bool:
      table.insert_or_assign(key, value.as_bool());
      return;
    case ConfigValue::Kind::Integer:
      table.insert_or_assign(key, value.as_integer());
      return;
    case ConfigValue::Kind::Float:
      table.insert_or_assign(key, value.as_float());
      return;
    case ConfigValue::Kind::String:
      table.insert_or_assign(key, value.as_string());
      return;
    case ConfigValue::Kind::Array:
      table.insert_or_assign(key, to_toml_array(value));
      return;
    case ConfigValue::Kind::Table: {
      toml::table nested;
      for (const auto& [k, v] : value.as_table()) to_toml(nested, k, v);
      table.insert_or_assign(key, std::move(nested));
      return;
    }
  }
}

}  // namespace

std::string write_toml(const ConfigValue& root) {
  toml::table table;
  for (const auto& [key, value] : root.as_table()) to_toml(table, key, value);
  std::ostringstream out;
  out << table << "\n";
  return out.str();
}

}  // namespace wizard::core
