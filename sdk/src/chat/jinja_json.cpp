#include "chat/jinja_json.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "base/python_repr.hpp"
#include "base/utf8.hpp"
#include "chat/jinja_python.hpp"
#include "chat/jinja_unicode.hpp"

namespace wizard::jinja {

Value from_json(const nlohmann::ordered_json& json) {
  using Type = nlohmann::ordered_json::value_t;
  switch (json.type()) {
    case Type::null:
      return Value::none();
    case Type::boolean:
      return Value::boolean(json.get<bool>());
    case Type::number_integer:
      return Value::integer(json.get<std::int64_t>());
    case Type::number_unsigned: {
      const auto value = json.get<std::uint64_t>();
      if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        fail("the integer " + std::to_string(value) +
             " in the template context is larger than 2^63-1");
      }
      return Value::integer(static_cast<std::int64_t>(value));
    }
    case Type::number_float:
      return Value::real(json.get<double>());
    case Type::string:
      // Python strings cannot hold invalid UTF-8: it reads as U+FFFD, as in the tokenizer.
      return Value::string(utf8::replace_invalid(json.get_ref<const std::string&>()));
    case Type::array: {
      List items;
      items.reserve(json.size());
      for (const auto& item : json) items.push_back(from_json(item));
      return Value::list(std::move(items));
    }
    case Type::object: {
      Dict entries;
      entries.reserve(json.size());
      for (const auto& [key, item] : json.items())
        entries.set(utf8::replace_invalid(key), from_json(item));
      return Value::dict(std::move(entries));
    }
    case Type::binary:
      fail("binary values cannot be passed to a chat template");
    case Type::discarded:
      return Value();
  }
  return Value();
}

namespace {

void append_json_string(std::string& out, const std::string& text, bool ensure_ascii) {
  out += '"';
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t start = pos;
    const char32_t c = utf8::next(text, pos);
    switch (c) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      default:
        break;
    }
    char buf[16];
    if (c < 0x20 || (ensure_ascii && c >= 0x7F)) {
      if (c >= 0x10000) {
        const char32_t v = c - 0x10000;
        std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", static_cast<unsigned>(0xD800 + (v >> 10)),
                      static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
      } else {
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      }
      out += buf;
    } else {
      out.append(text, start, pos - start);
    }
  }
  out += '"';
}

class JsonWriter {
 public:
  explicit JsonWriter(const JsonFormat& format)
      : format_(format),
        item_separator_(format.item_separator.value_or(format.indent ? "," : ", ")) {}

  void write(std::string& out, const Value& value, int depth) {
    switch (value.kind()) {
      case Value::Kind::None:
        out += "null";
        return;
      case Value::Kind::Bool:
        out += value.as_bool() ? "true" : "false";
        return;
      case Value::Kind::Int:
        out += std::to_string(value.as_int());
        return;
      case Value::Kind::Float:
        write_float(out, value.as_float());
        return;
      case Value::Kind::String:
        append_json_string(out, value.as_string(), format_.ensure_ascii);
        return;
      case Value::Kind::List:
      case Value::Kind::Tuple:
        write_list(out, value.as_list(), depth);
        return;
      case Value::Kind::Dict:
        write_dict(out, value.as_dict(), depth);
        return;
      case Value::Kind::Undefined:
      case Value::Kind::Object:
        break;
    }
    fail("Object of type " + value.type_name() + " is not JSON serializable");
  }

 private:
  static void write_float(std::string& out, double number) {
    if (std::isnan(number)) {
      out += "NaN";
    } else if (std::isinf(number)) {
      out += number > 0 ? "Infinity" : "-Infinity";
    } else {
      out += python::float_repr(number);
    }
  }

  void open_item(std::string& out, bool first, int depth) {
    if (!first) out += item_separator_;
    newline(out, depth);
  }

  void newline(std::string& out, int depth) {
    if (!format_.indent) return;
    out += '\n';
    for (int i = 0; i < depth; ++i) out += *format_.indent;
  }

  void write_list(std::string& out, const List& items, int depth) {
    if (items.empty()) {
      out += "[]";
      return;
    }
    out += '[';
    for (std::size_t i = 0; i < items.size(); ++i) {
      open_item(out, i == 0, depth + 1);
      write(out, items[i], depth + 1);
    }
    newline(out, depth);
    out += ']';
  }

  void write_dict(std::string& out, const Dict& dict, int depth) {
    if (dict.empty()) {
      out += "{}";
      return;
    }
    std::vector<const Dict::Entry*> entries;
    entries.reserve(dict.size());
    for (const auto& entry : dict) entries.push_back(&entry);
    if (format_.sort_keys) {
      std::stable_sort(
          entries.begin(), entries.end(),
          [](const Dict::Entry* a, const Dict::Entry* b) { return a->first < b->first; });
    }
    out += '{';
    for (std::size_t i = 0; i < entries.size(); ++i) {
      open_item(out, i == 0, depth + 1);
      append_json_string(out, entries[i]->first, format_.ensure_ascii);
      out += format_.key_separator;
      write(out, entries[i]->second, depth + 1);
    }
    newline(out, depth);
    out += '}';
  }

  const JsonFormat& format_;
  std::string item_separator_;
};

}  // namespace

std::string to_json(const Value& value, const JsonFormat& format) {
  std::string out;
  JsonWriter(format).write(out, value, 0);
  return out;
}

}  // namespace wizard::jinja
