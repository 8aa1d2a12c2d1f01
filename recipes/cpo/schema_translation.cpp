#include "schema_translation.hpp"

#include <sstream>

#include "wizard/base/error.hpp"

namespace wizard::cpo {

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> keys;
  std::size_t start = 0;
  while (true) {
    const auto dot = path.find('.', start);
    keys.push_back(path.substr(start, dot - start));
    if (dot == std::string::npos) return keys;
    start = dot + 1;
  }
}

}  // namespace

SourceLocation translated_location(const SourceKey& from, const std::string& file) {
  if (!from.written) return SourceLocation{file + " (default of " + from.path + ")", 0, 0};
  // A --set override already names the user's key.
  if (from.where.file.rfind("--set ", 0) == 0) return from.where;
  return SourceLocation{from.where.str() + " (" + from.path + ")", 0, 0};
}

std::string written_value(const ConfigValue& value) {
  switch (value.kind()) {
    case ConfigValue::Kind::Null:
      return "null";
    case ConfigValue::Kind::Bool:
      return value.as_bool() ? "true" : "false";
    case ConfigValue::Kind::Integer:
      return std::to_string(value.as_integer());
    case ConfigValue::Kind::Float: {
      std::ostringstream out;
      out << value.as_float();
      return out.str();
    }
    case ConfigValue::Kind::String:
      return "\"" + value.as_string() + "\"";
    case ConfigValue::Kind::Array:
      return "[...]";
    case ConfigValue::Kind::Table:
      return "{...}";
  }
  return "?";
}

SchemaTranslation::SchemaTranslation(std::string file)
    : file_(std::move(file)), tree_(ConfigValue::table({}, SourceLocation{file_, 0, 0})) {}

void SchemaTranslation::set(const std::string& target, const SourceValue& value) {
  set(target, value.value, value.from);
}

void SchemaTranslation::set(const std::string& target, ConfigValue value, const SourceKey& from) {
  const std::vector<std::string> keys = split_path(target);
  ConfigValue* node = &tree_;
  for (std::size_t i = 0; i + 1 < keys.size(); ++i) {
    ConfigValue* child = node->find(keys[i]);
    if (!child) child = &node->set(keys[i], ConfigValue::table({}, SourceLocation{file_, 0, 0}));
    if (!child->is(ConfigValue::Kind::Table)) {
      throw Error("schema translation: " + target + " crosses a value that is not a table");
    }
    node = child;
  }
  value.set_location(translated_location(from, file_));
  node->set(keys.back(), std::move(value));
  erase_source(target);
  sources_.emplace_back(target, from);
}

void SchemaTranslation::erase(const std::string& target) {
  const std::vector<std::string> keys = split_path(target);
  ConfigValue* node = &tree_;
  for (std::size_t i = 0; i + 1 < keys.size() && node; ++i) node = node->find(keys[i]);
  if (node) node->erase(keys.back());
  erase_source(target);
}

void SchemaTranslation::erase_source(const std::string& target) {
  for (auto it = sources_.begin(); it != sources_.end(); ++it) {
    if (it->first == target) {
      sources_.erase(it);
      return;
    }
  }
}

const ConfigValue* SchemaTranslation::find(const std::string& target) const {
  const ConfigValue* node = &tree_;
  for (const auto& key : split_path(target)) {
    if (!node) return nullptr;
    node = node->find(key);
  }
  return node;
}

const SourceKey* SchemaTranslation::source_of(const std::string& target) const {
  for (const auto& [path, from] : sources_) {
    if (path == target) return &from;
  }
  return nullptr;
}

std::vector<std::string> SchemaTranslation::targets() const {
  std::vector<std::string> out;
  for (const auto& entry : sources_) out.push_back(entry.first);
  return out;
}

void SchemaTranslation::problem(std::string message) {
  problems_.push_back(std::move(message));
}

void SchemaTranslation::problem(const SourceValue& value, const std::string& message) {
  const std::string where = value.from.written ? value.from.where.str() : file_;
  problem(where + ": " + value.from.path + " = " + written_value(value.value) +
          (value.from.written ? "" : " (the default)") + ": " + message);
}

void SchemaTranslation::note(std::string message) {
  notes_.push_back(std::move(message));
}

void SchemaTranslation::throw_problems(const std::string& what) const {
  if (problems_.empty()) return;
  std::string message = what + " cannot run as written: " + std::to_string(problems_.size()) +
                        (problems_.size() == 1 ? " problem" : " problems") + "\n";
  for (const auto& problem : problems_) message += "  " + problem + "\n";
  message.pop_back();
  throw ConfigError(message);
}

}  // namespace wizard::cpo
