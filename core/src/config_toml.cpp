// TOML through toml++, which keeps a source region for every node.
#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>
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

// Written by hand around toml++'s value formatting: toml++ 3.3 prints a key holding a single
// quote bare (`[a'b]`), which no TOML reader accepts. Keys are bare when TOML allows it and
// basic strings otherwise; strings, integers and floats are formatted by toml++.
bool is_bare_key(const std::string& key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

void write_key(std::ostream& out, const std::string& key) {
  if (is_bare_key(key)) {
    out << key;
    return;
  }
  out << '"';
  for (const char c : key) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out << '\\' << c;
    } else if (byte < 0x20 || byte == 0x7f) {
      static const char* hex = "0123456789ABCDEF";
      out << "\\u00" << hex[byte >> 4] << hex[byte & 15];
    } else {
      out << c;
    }
  }
  out << '"';
}

bool is_table_array(const ConfigValue& value) {
  if (value.kind() != ConfigValue::Kind::Array || value.as_array().empty()) return false;
  const auto& items = value.as_array();
  return std::all_of(items.begin(), items.end(), [](const ConfigValue& item) {
    return item.kind() == ConfigValue::Kind::Table;
  });
}

// A value on the right of `key =`: scalars by toml++, arrays and tables inline. Nulls (TOML has
// none) are left out.
void write_inline(std::ostream& out, const ConfigValue& value) {
  switch (value.kind()) {
    case ConfigValue::Kind::Null:
      return;
    case ConfigValue::Kind::Bool:
      out << (value.as_bool() ? "true" : "false");
      return;
    case ConfigValue::Kind::Integer:
      out << toml::value<std::int64_t>(value.as_integer());
      return;
    case ConfigValue::Kind::Float:
      out << toml::value<double>(value.as_float());
      return;
    case ConfigValue::Kind::String:
      out << toml::value<std::string>(value.as_string());
      return;
    case ConfigValue::Kind::Array: {
      out << '[';
      const char* separator = "";
      for (const auto& item : value.as_array()) {
        if (item.kind() == ConfigValue::Kind::Null) continue;
        out << separator;
        write_inline(out, item);
        separator = ", ";
      }
      out << ']';
      return;
    }
    case ConfigValue::Kind::Table: {
      out << '{';
      const char* separator = " ";
      for (const auto& [key, item] : value.as_table()) {
        if (item.kind() == ConfigValue::Kind::Null) continue;
        out << separator;
        write_key(out, key);
        out << " = ";
        write_inline(out, item);
        separator = ", ";
      }
      out << (value.as_table().empty() ? "}" : " }");
      return;
    }
  }
}

// `path` is the table's dotted header, already written as keys.
void write_table(std::ostream& out, const std::string& path, const ConfigValue& table) {
  const auto section = [](const ConfigValue& value) {
    return value.kind() == ConfigValue::Kind::Table || is_table_array(value);
  };
  for (const auto& [key, value] : table.as_table()) {
    if (section(value) || value.kind() == ConfigValue::Kind::Null) continue;
    write_key(out, key);
    out << " = ";
    write_inline(out, value);
    out << '\n';
  }
  for (const auto& [key, value] : table.as_table()) {
    if (!section(value)) continue;
    std::ostringstream name;
    write_key(name, key);
    const std::string child = path.empty() ? name.str() : path + "." + name.str();
    if (value.kind() == ConfigValue::Kind::Table) {
      out << "\n[" << child << "]\n";
      write_table(out, child, value);
    } else {
      for (const auto& item : value.as_array()) {
        out << "\n[[" << child << "]]\n";
        write_table(out, child, item);
      }
    }
  }
}

}  // namespace

std::string write_toml(const ConfigValue& root) {
  std::ostringstream out;
  write_table(out, "", root);
  std::string text = out.str();
  if (!text.empty() && text.front() == '\n') text.erase(0, 1);  // no scalars before the first table
  return text;
}

}  // namespace wizard::core
