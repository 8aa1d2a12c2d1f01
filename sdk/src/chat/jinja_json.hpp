// Values to and from JSON: the context comes in as nlohmann::ordered_json (key
// order matters for tojson), and `tojson` writes what Python's json.dumps writes.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "chat/jinja_value.hpp"

namespace wizard::jinja {

Value from_json(const nlohmann::ordered_json& json);

// json.dumps options as transformers' tojson filter passes them.
struct JsonFormat {
  std::optional<std::string> indent;          // none: one line
  std::optional<std::string> item_separator;  // default ", " (or "," with an indent)
  std::string key_separator = ": ";
  bool sort_keys = false;
  bool ensure_ascii = false;
};

std::string to_json(const Value& value, const JsonFormat& format);

}  // namespace wizard::jinja
