// One section of a config written in another schema (the arabic-qwen document's `model`,
// `training`, `cpo`, ...), read key by key with the schema's defaults. Type errors and
// unknown keys become problems of the translation instead of exceptions, so one run lists
// them all; defaults the getters return are recorded in the resolved config, as for any
// plugin's table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "schema_translation.hpp"
#include "wizard/base/config.hpp"

namespace wizard::cpo {

class SchemaSection {
 public:
  // `table` may be absent (every key then takes its default).
  SchemaSection(const Config& table, SchemaTranslation& out);

  const Config& config() const { return table_; }
  bool written(const std::string& key) const { return table_.has(key); }

  // A problem for each key not in `valid`, naming the nearest valid one.
  void check_keys(const std::vector<std::string>& valid);

  // The value of `key` as written, type-checked, else `fallback` (the schema's default).
  // A value of the wrong type is a problem; the fallback stands in for it.
  SourceValue boolean(const std::string& key, bool fallback);
  SourceValue integer(const std::string& key, std::int64_t fallback);
  SourceValue number(const std::string& key, double fallback);
  SourceValue text(const std::string& key, const std::string& fallback);
  // Keys whose default may be None: a null value (or "", as TOML has no null) reads as
  // null, and is recorded as "" in the resolved config.
  SourceValue optional_text(const std::string& key, const std::optional<std::string>& fallback);
  SourceValue optional_integer(const std::string& key);
  SourceValue optional_table(const std::string& key);

 private:
  SourceKey source(const std::string& key) const;
  template <class T>
  SourceValue read(const std::string& key, const T& fallback);
  // Null, or "" (TOML's stand-in for null): the key asks for nothing.
  bool is_none(const std::string& key) const;

  Config table_;
  SchemaTranslation& out_;
};

}  // namespace wizard::cpo
