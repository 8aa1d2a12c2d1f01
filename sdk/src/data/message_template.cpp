#include "wizard/data/message_template.hpp"

#include "wizard/data/python_format.hpp"

namespace wizard {

namespace {

Row to_row(const ConfigValue& value) {
  switch (value.kind()) {
    case ConfigValue::Kind::Null:
      return nullptr;
    case ConfigValue::Kind::Bool:
      return value.as_bool();
    case ConfigValue::Kind::Integer:
      return value.as_integer();
    case ConfigValue::Kind::Float:
      return value.as_float();
    case ConfigValue::Kind::String:
      return value.as_string();
    case ConfigValue::Kind::Array: {
      Row out = Row::array();
      for (const auto& item : value.as_array()) out.push_back(to_row(item));
      return out;
    }
    case ConfigValue::Kind::Table: {
      Row out = Row::object();
      for (const auto& [key, item] : value.as_table()) out[key] = to_row(item);
      return out;
    }
  }
  return nullptr;
}

ConfigValue to_config(const Row& value) {
  if (value.is_string()) return ConfigValue::string(value.get<std::string>());
  if (value.is_boolean()) return ConfigValue::boolean(value.get<bool>());
  if (value.is_number_integer()) return ConfigValue::integer(value.get<std::int64_t>());
  if (value.is_number()) return ConfigValue::floating(value.get<double>());
  if (value.is_array()) {
    ConfigValue::Array items;
    for (const auto& item : value) items.push_back(to_config(item));
    return ConfigValue::array(std::move(items));
  }
  if (value.is_object()) {
    ConfigValue::Table entries;
    for (const auto& item : value.items())
      entries.emplace_back(item.key(), to_config(item.value()));
    return ConfigValue::table(std::move(entries));
  }
  return ConfigValue::null();
}

void check_message(const Config& config, const std::string& key, std::size_t index,
                   const Row& message) {
  const std::string what = "the message at index " + std::to_string(index);
  if (!message.is_object())
    config.fail(key, what + " must be a table { role = ..., content = ... }");
  for (const char* field : {"role", "content"}) {
    if (!message.contains(field) || !message[field].is_string()) {
      config.fail(key, what + " needs a string '" + field +
                           "' (e.g. { role = \"user\", content = \"{prompt}\" })");
    }
  }
}

// Messages as Python writes them, {"role", "content", ...}: the config reader
// may not keep a table's key order, and templates that print a message with
// tojson show it.
Row role_and_content_first(const Row& message) {
  Row out = Row::object();
  out["role"] = message["role"];
  out["content"] = message["content"];
  for (const auto& item : message.items()) {
    if (item.key() != "role" && item.key() != "content") out[item.key()] = item.value();
  }
  return out;
}

}  // namespace

MessageTemplate::MessageTemplate(Row messages, std::string name)
    : messages_(std::move(messages)), name_(std::move(name)) {}

MessageTemplate MessageTemplate::from_config(const Config& config, const std::string& key,
                                             const Row& fallback) {
  const ConfigValue* value = config.find(key);
  if (!value) {
    config.record(key, to_config(fallback));
    return MessageTemplate(fallback, config.key_path(key));
  }
  if (!value->is(ConfigValue::Kind::Array) || value->as_array().empty()) {
    config.fail(key,
                "must be a non-empty list of messages, e.g. [{ role = \"user\", content = "
                "\"{prompt}\" }]");
  }
  Row messages = Row::array();
  for (const auto& item : value->as_array()) messages.push_back(to_row(item));
  for (std::size_t i = 0; i < messages.size(); ++i) {
    check_message(config, key, i, messages[i]);
    messages[i] = role_and_content_first(messages[i]);
  }
  return MessageTemplate(std::move(messages), config.key_path(key));
}

Row MessageTemplate::fill(const Row& row, const std::string& where) const {
  Row out = messages_;
  for (std::size_t i = 0; i < out.size(); ++i) {
    Row& content = out[i]["content"];
    try {
      content = python_format(content.get<std::string>(), row);
    } catch (const TemplateFillError& error) {
      throw TemplateFillError(
          where + ": cannot fill " + name_ + "[" + std::to_string(i) + "].content: " + error.what(),
          error.missing_column());
    }
  }
  return out;
}

}  // namespace wizard
