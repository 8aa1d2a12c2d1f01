#include "schema_section.hpp"

#include <algorithm>

#include "wizard/base/error.hpp"
#include "wizard/base/text.hpp"

namespace wizard::cpo {

namespace {

ConfigValue value_of(bool value) {
  return ConfigValue::boolean(value);
}
ConfigValue value_of(std::int64_t value) {
  return ConfigValue::integer(value);
}
ConfigValue value_of(double value) {
  return ConfigValue::floating(value);
}
ConfigValue value_of(const std::string& value) {
  return ConfigValue::string(value);
}

}  // namespace

SchemaSection::SchemaSection(const Config& table, SchemaTranslation& out)
    : table_(table), out_(out) {}

void SchemaSection::check_keys(const std::vector<std::string>& valid) {
  for (const auto& key : table_.keys()) {
    if (std::find(valid.begin(), valid.end(), key) != valid.end()) continue;
    std::string message =
        table_.location(key).str() + ": unknown key '" + table_.key_path(key) + "'";
    if (auto suggestion = nearest_name(key, valid)) {
      message += "; did you mean '" + *suggestion + "'?";
    } else {
      message += "; valid keys here: " + join(valid);
    }
    out_.problem(message);
  }
}

SourceKey SchemaSection::source(const std::string& key) const {
  SourceKey from;
  from.path = table_.key_path(key);
  from.written = table_.has(key);
  from.where = from.written ? table_.location(key) : SourceLocation{out_.file(), 0, 0};
  return from;
}

template <class T>
SourceValue SchemaSection::read(const std::string& key, const T& fallback) {
  SourceValue out{value_of(fallback), source(key)};
  try {
    table_.get<T>(key, fallback);  // type-checks a written value, records a default
    if (out.from.written) out.value = *table_.find(key);
  } catch (const ConfigError& error) {
    out_.problem(error.what());
  }
  return out;
}

SourceValue SchemaSection::boolean(const std::string& key, bool fallback) {
  return read<bool>(key, fallback);
}

SourceValue SchemaSection::integer(const std::string& key, std::int64_t fallback) {
  return read<std::int64_t>(key, fallback);
}

SourceValue SchemaSection::number(const std::string& key, double fallback) {
  return read<double>(key, fallback);
}

SourceValue SchemaSection::text(const std::string& key, const std::string& fallback) {
  return read<std::string>(key, fallback);
}

bool SchemaSection::is_none(const std::string& key) const {
  const ConfigValue* value = table_.find(key);
  return value && (value->is(ConfigValue::Kind::Null) ||
                   (value->is(ConfigValue::Kind::String) && value->as_string().empty()));
}

SourceValue SchemaSection::optional_text(const std::string& key,
                                         const std::optional<std::string>& fallback) {
  if (is_none(key)) {
    table_.record(key, ConfigValue::string(""));  // TOML has no null
    return {ConfigValue::null(), source(key)};
  }
  if (!written(key) && !fallback) return {ConfigValue::null(), source(key)};
  return read<std::string>(key, fallback.value_or(""));
}

SourceValue SchemaSection::optional_integer(const std::string& key) {
  if (!written(key) || is_none(key)) return {ConfigValue::null(), source(key)};
  return read<std::int64_t>(key, 0);
}

SourceValue SchemaSection::optional_table(const std::string& key) {
  const ConfigValue* value = table_.find(key);
  if (!value || value->is(ConfigValue::Kind::Null)) return {ConfigValue::null(), source(key)};
  if (!value->is(ConfigValue::Kind::Table)) {
    out_.problem(table_.location(key).str() + ": " + table_.key_path(key) +
                 " must be a table (or null), but it is a " + value->kind_name());
    return {ConfigValue::null(), source(key)};
  }
  return {*value, source(key)};
}

}  // namespace wizard::cpo
