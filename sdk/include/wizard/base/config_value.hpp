// The configuration tree: what TOML, JSON and YAML files parse into. Every value
// remembers where it came from, so messages can point at file:line:column.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "wizard/base/export.hpp"

namespace wizard {

struct WIZARD_API SourceLocation {
  std::string file;  // a path, or a description such as "--set training_args_spec.beta=0.2"
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown

  // "file:line:column", "file:line" or "file", whatever is known.
  std::string str() const;
};

class WIZARD_API ConfigValue {
 public:
  enum class Kind { Null, Bool, Integer, Float, String, Array, Table };
  using Array = std::vector<ConfigValue>;
  using Table = std::vector<std::pair<std::string, ConfigValue>>;  // keeps file order

  ConfigValue() = default;
  static ConfigValue null(SourceLocation where = {});
  static ConfigValue boolean(bool value, SourceLocation where = {});
  static ConfigValue integer(std::int64_t value, SourceLocation where = {});
  static ConfigValue floating(double value, SourceLocation where = {});
  static ConfigValue string(std::string value, SourceLocation where = {});
  static ConfigValue array(Array items = {}, SourceLocation where = {});
  static ConfigValue table(Table entries = {}, SourceLocation where = {});

  Kind kind() const { return kind_; }
  bool is(Kind kind) const { return kind_ == kind; }
  const SourceLocation& location() const { return location_; }
  void set_location(SourceLocation where) { location_ = std::move(where); }

  // Typed access; the caller checks kind() first (a wrong kind throws wizard::Error).
  bool as_bool() const;
  std::int64_t as_integer() const;
  double as_float() const;  // integers convert
  const std::string& as_string() const;
  const Array& as_array() const;
  Array& as_array();
  const Table& as_table() const;
  Table& as_table();

  // Table lookup; nullptr when absent or when this is not a table.
  const ConfigValue* find(const std::string& key) const;
  ConfigValue* find(const std::string& key);
  // Inserts or replaces `key` in a table (turning a Null into a table first).
  ConfigValue& set(const std::string& key, ConfigValue value);
  bool erase(const std::string& key);

  static const char* kind_name(Kind kind);
  const char* kind_name() const { return kind_name(kind_); }

 private:
  Kind kind_ = Kind::Null;
  std::variant<std::monostate, bool, std::int64_t, double, std::string, Array, Table> data_;
  SourceLocation location_;
};

}  // namespace wizard
