#include "wizard/base/config_value.hpp"

#include <algorithm>

#include "wizard/base/error.hpp"

namespace wizard {

std::string SourceLocation::str() const {
  std::string out = file.empty() ? "<config>" : file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  return out;
}

ConfigValue ConfigValue::null(SourceLocation where) {
  ConfigValue v;
  v.location_ = std::move(where);
  return v;
}

#define WIZARD_CONFIG_FACTORY(Name, Type, KindTag)                  \
  ConfigValue ConfigValue::Name(Type value, SourceLocation where) { \
    ConfigValue v;                                                  \
    v.kind_ = Kind::KindTag;                                        \
    v.data_ = std::move(value);                                     \
    v.location_ = std::move(where);                                 \
    return v;                                                       \
  }
WIZARD_CONFIG_FACTORY(boolean, bool, Bool)
WIZARD_CONFIG_FACTORY(integer, std::int64_t, Integer)
WIZARD_CONFIG_FACTORY(floating, double, Float)
WIZARD_CONFIG_FACTORY(string, std::string, String)
WIZARD_CONFIG_FACTORY(array, Array, Array)
WIZARD_CONFIG_FACTORY(table, Table, Table)
#undef WIZARD_CONFIG_FACTORY

static void expect(const ConfigValue& v, ConfigValue::Kind kind) {
  if (v.kind() != kind) {
    throw Error(v.location().str() + ": expected a " + ConfigValue::kind_name(kind) + ", found a " +
                v.kind_name());
  }
}

bool ConfigValue::as_bool() const {
  expect(*this, Kind::Bool);
  return std::get<bool>(data_);
}

std::int64_t ConfigValue::as_integer() const {
  expect(*this, Kind::Integer);
  return std::get<std::int64_t>(data_);
}

double ConfigValue::as_float() const {
  if (kind_ == Kind::Integer) return static_cast<double>(std::get<std::int64_t>(data_));
  expect(*this, Kind::Float);
  return std::get<double>(data_);
}

const std::string& ConfigValue::as_string() const {
  expect(*this, Kind::String);
  return std::get<std::string>(data_);
}

const ConfigValue::Array& ConfigValue::as_array() const {
  expect(*this, Kind::Array);
  return std::get<Array>(data_);
}

ConfigValue::Array& ConfigValue::as_array() {
  expect(*this, Kind::Array);
  return std::get<Array>(data_);
}

const ConfigValue::Table& ConfigValue::as_table() const {
  expect(*this, Kind::Table);
  return std::get<Table>(data_);
}

ConfigValue::Table& ConfigValue::as_table() {
  expect(*this, Kind::Table);
  return std::get<Table>(data_);
}

const ConfigValue* ConfigValue::find(const std::string& key) const {
  if (kind_ != Kind::Table) return nullptr;
  for (const auto& [name, value] : std::get<Table>(data_)) {
    if (name == key) return &value;
  }
  return nullptr;
}

ConfigValue* ConfigValue::find(const std::string& key) {
  return const_cast<ConfigValue*>(static_cast<const ConfigValue*>(this)->find(key));
}

ConfigValue& ConfigValue::set(const std::string& key, ConfigValue value) {
  if (kind_ == Kind::Null) {
    kind_ = Kind::Table;
    data_ = Table{};
  }
  auto& entries = as_table();
  for (auto& [name, existing] : entries) {
    if (name == key) {
      existing = std::move(value);
      return existing;
    }
  }
  entries.emplace_back(key, std::move(value));
  return entries.back().second;
}

bool ConfigValue::erase(const std::string& key) {
  if (kind_ != Kind::Table) return false;
  auto& entries = std::get<Table>(data_);
  const auto it = std::find_if(entries.begin(), entries.end(),
                               [&](const auto& entry) { return entry.first == key; });
  if (it == entries.end()) return false;
  entries.erase(it);
  return true;
}

const char* ConfigValue::kind_name(Kind kind) {
  switch (kind) {
    case Kind::Null:
      return "null";
    case Kind::Bool:
      return "bool";
    case Kind::Integer:
      return "integer";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "string";
    case Kind::Array:
      return "array";
    case Kind::Table:
      return "table";
  }
  return "?";
}

}  // namespace wizard
