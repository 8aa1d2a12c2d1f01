#include "chat/jinja_python.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "chat/jinja_unicode.hpp"

namespace wizard::jinja {

namespace {

// Python's str.isprintable(), approximated without the Unicode database:
// controls, format characters, separators other than the space, surrogates
// and private use are not printable.
bool is_printable(char32_t c) {
  if (c < 0x20 || c == 0x7F) return false;
  if (c < 0xA0) return c < 0x7F;
  if (c == 0xA0 || c == 0xAD || c == 0x61C || c == 0x1680 || c == 0x180E || c == 0x3000 ||
      c == 0xFEFF)
    return false;
  if (c >= 0x2000 && c <= 0x200F) return false;
  if (c >= 0x2028 && c <= 0x202F) return false;
  if (c >= 0x205F && c <= 0x206F) return false;
  if (c >= 0xD800 && c <= 0xF8FF) return false;
  if (c >= 0xFFF9 && c <= 0xFFFB) return false;
  if (c == 0xFFFE || c == 0xFFFF) return false;
  if (c >= 0xE0000) return false;
  return true;
}

void append_hex(std::string& out, char prefix, char32_t c, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\%c%0*x", prefix, digits, static_cast<unsigned>(c));
  out += buf;
}

void append_sequence(std::string& out, const List& items, char open, char close, bool tuple) {
  out += open;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    append_repr(out, items[i]);
  }
  if (tuple && items.size() == 1) out += ',';
  out += close;
}

// Python repr(str): single quotes unless only they occur inside.
void append_string_repr(std::string& out, std::string_view text) {
  const bool has_single = text.find('\'') != std::string_view::npos;
  const bool has_double = text.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  out += quote;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t start = pos;
    const char32_t c = unicode::next(text, pos);
    if (c == static_cast<char32_t>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (is_printable(c)) {
      out.append(text.substr(start, pos - start));
    } else if (c <= 0xFF) {
      append_hex(out, 'x', c, 2);
    } else if (c <= 0xFFFF) {
      append_hex(out, 'u', c, 4);
    } else {
      append_hex(out, 'U', c, 8);
    }
  }
  out += quote;
}

}  // namespace

std::string float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0.0) return std::signbit(value) ? "-0.0" : "0.0";

  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*e", precision - 1, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  // buf is "[-]d[.ddd]e[+-]XX": split it into sign, digits and exponent.
  std::string text(buf);
  const bool negative = text[0] == '-';
  const std::size_t e = text.find('e');
  std::string digits;
  for (std::size_t i = negative ? 1 : 0; i < e; ++i) {
    if (text[i] != '.') digits += text[i];
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int exponent = std::atoi(text.c_str() + e + 1);
  const int point = exponent + 1;  // digits before the decimal point

  std::string out = negative ? "-" : "";
  if (point > -4 && point <= 16) {
    if (point <= 0) {
      out += "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
    } else if (static_cast<std::size_t>(point) >= digits.size()) {
      out += digits + std::string(static_cast<std::size_t>(point) - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, static_cast<std::size_t>(point)) + "." +
             digits.substr(static_cast<std::size_t>(point));
    }
  } else {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char exp_buf[16];
    std::snprintf(exp_buf, sizeof exp_buf, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    out += exp_buf;
  }
  return out;
}

void append_str(std::string& out, const Value& value) {
  switch (value.kind()) {
    case Value::Kind::Undefined:
      return;
    case Value::Kind::None:
      out += "None";
      return;
    case Value::Kind::Bool:
      out += value.as_bool() ? "True" : "False";
      return;
    case Value::Kind::Int:
      out += std::to_string(value.as_int());
      return;
    case Value::Kind::Float:
      out += float_repr(value.as_float());
      return;
    case Value::Kind::String:
      out += value.as_string();
      return;
    case Value::Kind::List:
      append_sequence(out, value.as_list(), '[', ']', false);
      return;
    case Value::Kind::Tuple:
      append_sequence(out, value.as_list(), '(', ')', true);
      return;
    case Value::Kind::Dict: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : value.as_dict()) {
        if (!first) out += ", ";
        first = false;
        append_string_repr(out, key);
        out += ": ";
        append_repr(out, item);
      }
      out += '}';
      return;
    }
    case Value::Kind::Object:
      value.as_object().repr(out);
      return;
  }
}

std::string to_str(const Value& value) {
  if (value.is_string()) return value.as_string();
  std::string out;
  append_str(out, value);
  return out;
}

void append_repr(std::string& out, const Value& value) {
  if (value.is_string()) {
    append_string_repr(out, value.as_string());
  } else if (value.is_undefined()) {
    out += "Undefined";
  } else {
    append_str(out, value);
  }
}

}  // namespace wizard::jinja
