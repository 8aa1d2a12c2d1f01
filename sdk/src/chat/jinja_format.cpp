#include "chat/jinja_format.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "base/python_repr.hpp"
#include "base/utf8.hpp"
#include "chat/jinja_operators.hpp"
#include "chat/jinja_python.hpp"
#include "chat/jinja_unicode.hpp"

namespace wizard::jinja {

namespace {

// One conversion: Python's format-spec mini-language, which also expresses
// what a %-conversion asks for.
struct Spec {
  std::string fill = " ";
  char align = 0;  // '<', '>', '^', '=' or 0 for the type's default
  char sign = '-';
  bool alternate = false;
  bool zero = false;
  std::int64_t width = -1;
  char grouping = 0;  // ',' or '_'
  std::int64_t precision = -1;
  char type = 0;
};

std::string group_digits(const std::string& digits, char separator) {
  std::string out;
  const std::size_t n = digits.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (i && (n - i) % 3 == 0) out += separator;
    out += digits[i];
  }
  return out;
}

std::string format_integer_digits(std::int64_t value, const Spec& spec) {
  const unsigned long long magnitude = value < 0 ? 0ULL - static_cast<unsigned long long>(value)
                                                 : static_cast<unsigned long long>(value);
  char buf[80];
  switch (spec.type) {
    case 'x':
      std::snprintf(buf, sizeof buf, "%llx", magnitude);
      return (spec.alternate ? "0x" : "") + std::string(buf);
    case 'X':
      std::snprintf(buf, sizeof buf, "%llX", magnitude);
      return (spec.alternate ? "0X" : "") + std::string(buf);
    case 'o':
      std::snprintf(buf, sizeof buf, "%llo", magnitude);
      return (spec.alternate ? "0o" : "") + std::string(buf);
    case 'b': {
      std::string bits;
      for (unsigned long long v = magnitude; v; v >>= 1)
        bits.insert(bits.begin(), static_cast<char>('0' + (v & 1)));
      return (spec.alternate ? "0b" : "") + (bits.empty() ? "0" : bits);
    }
    default: {
      std::snprintf(buf, sizeof buf, "%llu", magnitude);
      return spec.grouping ? group_digits(buf, spec.grouping) : std::string(buf);
    }
  }
}

std::string format_float_digits(double magnitude, const Spec& spec) {
  if (std::isnan(magnitude)) return "nan";
  if (std::isinf(magnitude)) return "inf";
  char type = spec.type;
  std::int64_t precision = spec.precision < 0 ? 6 : spec.precision;
  std::string suffix;
  if (type == '%') {
    magnitude *= 100;
    type = 'f';
    suffix = "%";
  }
  if (type == 0) {
    if (spec.precision < 0) return python::float_repr(magnitude);
    type = 'g';  // Python: like 'g', but at least one digit after the point
  }
  char format[16];
  std::snprintf(format, sizeof format, "%%%s.%d%c", spec.alternate ? "#" : "",
                static_cast<int>(precision), type);
  char buf[512];
  std::snprintf(buf, sizeof buf, format, magnitude);
  std::string text(buf);
  if (spec.grouping && (type == 'f' || type == 'F')) {
    const std::size_t point = text.find('.');
    text = group_digits(text.substr(0, point), spec.grouping) +
           (point == std::string::npos ? "" : text.substr(point));
  }
  return text + suffix;
}

// Pads `body` (with its sign split off) to the spec's width.
std::string pad(const std::string& sign, const std::string& body, const Spec& spec,
                char default_align) {
  const char align = spec.align ? spec.align : (spec.zero ? '=' : default_align);
  const std::string fill = spec.zero && !spec.align ? "0" : spec.fill;
  const auto length = static_cast<std::int64_t>(utf8::count(sign) + utf8::count(body));
  const std::int64_t missing = spec.width > length ? spec.width - length : 0;
  const auto repeat = [&](std::int64_t n) {
    std::string out;
    for (std::int64_t i = 0; i < n; ++i) out += fill;
    return out;
  };
  switch (align) {
    case '<':
      return sign + body + repeat(missing);
    case '^':
      return repeat(missing / 2) + sign + body + repeat(missing - missing / 2);
    case '=':
      return sign + repeat(missing) + body;
    default:
      return repeat(missing) + sign + body;
  }
}

std::string sign_of(bool negative, const Spec& spec) {
  if (negative) return "-";
  if (spec.sign == '+') return "+";
  if (spec.sign == ' ') return " ";
  return "";
}

std::string format_value(const Value& value, const Spec& spec) {
  const char type = spec.type;
  if (value.is_undefined()) fail_undefined(value);
  if (value.is_string() || type == 's' || type == 'r') {
    if (type != 0 && type != 's' && type != 'r') {
      fail(std::string("Unknown format code '") + type + "' for object of type '" +
           value.type_name() + "'");
    }
    std::string text;
    if (type == 'r') {
      append_repr(text, value);
    } else {
      text = to_str(value);
    }
    if (spec.precision >= 0 && utf8::count(text) > static_cast<std::size_t>(spec.precision)) {
      text = text.substr(0, utf8::boundaries(text)[static_cast<std::size_t>(spec.precision)]);
    }
    return pad("", text, spec, '<');
  }
  if (type == 'c') {
    if (!value.is_integral()) fail("%c requires an int");
    const std::int64_t code_point = value.as_int();
    if (code_point < 0 || code_point > 0x10FFFF) fail("%c arg not in range(0x110000)");
    std::string text;
    utf8::append(text, static_cast<char32_t>(code_point));
    return pad("", text, spec, '<');
  }
  if (!value.is_number()) {
    if (type == 0 && spec.width < 0) return to_str(value);
    fail("unsupported format string passed to " + value.type_name() + ".__format__");
  }
  const bool integer_type =
      type == 0 || type == 'd' || type == 'x' || type == 'X' || type == 'o' || type == 'b';
  if (value.is_integral() && integer_type) {
    if (value.is_bool() && type == 0) return pad("", to_str(value), spec, '<');
    const std::int64_t v = value.as_int();
    return pad(sign_of(v < 0, spec), format_integer_digits(v, spec), spec, '>');
  }
  if (type == 'd') {
    fail("Unknown format code 'd' for object of type '" + value.type_name() + "'");
  }
  const double v = value.as_float();
  return pad(sign_of(std::signbit(v) && !std::isnan(v), spec),
             format_float_digits(std::fabs(v), spec), spec, '>');
}

// ---- "{...}".format ----

Value resolve_field(const std::string& field, const Arguments& args, std::size_t& auto_index) {
  std::size_t end = field.find_first_of(".[");
  const std::string head = field.substr(0, end);
  Value value;
  if (head.empty() || std::isdigit(static_cast<unsigned char>(head[0]))) {
    const std::size_t index = head.empty() ? auto_index++ : std::stoul(head);
    if (index >= args.positional.size()) {
      fail("Replacement index " + std::to_string(index) +
           " out of range for positional args tuple");
    }
    value = args.positional[index];
  } else {
    const auto it = std::find_if(args.keywords.begin(), args.keywords.end(),
                                 [&](const auto& kw) { return kw.first == head; });
    if (it == args.keywords.end()) fail("KeyError: '" + head + "' in format string");
    value = it->second;
  }
  while (end != std::string::npos) {
    if (field[end] == '.') {
      const std::size_t next = field.find_first_of(".[", end + 1);
      value = get_attribute(value, field.substr(end + 1, next - end - 1));
      end = next;
    } else {
      const std::size_t close = field.find(']', end);
      if (close == std::string::npos) fail("Missing ']' in format string");
      const std::string key = field.substr(end + 1, close - end - 1);
      const bool numeric = !key.empty() && key.find_first_not_of("0123456789") == std::string::npos;
      value = get_item(value, numeric ? Value::integer(std::stoll(key)) : Value::string(key));
      end = close + 1 < field.size() ? close + 1 : std::string::npos;
    }
  }
  return value;
}

Spec parse_format_spec(const std::string& text) {
  Spec spec;
  std::size_t i = 0;
  const auto is_align = [](char c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  // [[fill]align]: the fill may be any single character (possibly multi-byte).
  std::size_t after_first = 0;
  if (!text.empty()) utf8::next(text, after_first);
  if (after_first < text.size() && is_align(text[after_first])) {
    spec.fill = text.substr(0, after_first);
    spec.align = text[after_first];
    i = after_first + 1;
  } else if (!text.empty() && is_align(text[0])) {
    spec.align = text[0];
    i = 1;
  }
  if (i < text.size() && (text[i] == '+' || text[i] == '-' || text[i] == ' '))
    spec.sign = text[i++];
  if (i < text.size() && text[i] == '#') spec.alternate = text[i++] == '#';
  if (i < text.size() && text[i] == '0') spec.zero = text[i++] == '0';
  std::size_t digits_start = i;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i > digits_start) spec.width = std::stoll(text.substr(digits_start, i - digits_start));
  if (i < text.size() && (text[i] == ',' || text[i] == '_')) spec.grouping = text[i++];
  if (i < text.size() && text[i] == '.') {
    digits_start = ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == digits_start) fail("Format specifier missing precision");
    spec.precision = std::stoll(text.substr(digits_start, i - digits_start));
  }
  if (i < text.size()) spec.type = text[i++];
  if (i != text.size()) fail("Invalid format specifier '" + text + "'");
  return spec;
}

}  // namespace

std::string brace_format(const std::string& format, const Arguments& args) {
  std::string out;
  std::size_t auto_index = 0;
  for (std::size_t i = 0; i < format.size(); ++i) {
    const char c = format[i];
    if (c == '}') {
      if (i + 1 < format.size() && format[i + 1] == '}') {
        out += '}';
        ++i;
        continue;
      }
      fail("Single '}' encountered in format string");
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    const std::size_t close = format.find('}', i);
    if (close == std::string::npos) fail("Single '{' encountered in format string");
    std::string field = format.substr(i + 1, close - i - 1);
    std::string spec_text;
    char conversion = 0;
    if (const std::size_t colon = field.find(':'); colon != std::string::npos) {
      spec_text = field.substr(colon + 1);
      field.resize(colon);
    }
    if (const std::size_t bang = field.find('!'); bang != std::string::npos) {
      conversion = bang + 1 < field.size() ? field[bang + 1] : 0;
      field.resize(bang);
    }
    Value value = resolve_field(field, args, auto_index);
    if (conversion == 'r' || conversion == 'a') {
      std::string text;
      append_repr(text, value);
      value = Value::string(std::move(text));
    } else if (conversion == 's') {
      value = Value::string(to_str(value));
    }
    out += format_value(value, parse_format_spec(spec_text));
    i = close;
  }
  return out;
}

std::string percent_format(const std::string& format, const Value& args) {
  // Python: a tuple gives the positional arguments; anything else is one
  // argument. A mapping (for CPython any subscriptable but a tuple or str, so
  // lists too) also serves %(name)s lookups, and then surplus arguments are
  // not an error.
  const bool mapping = args.is_dict() || args.kind() == Value::Kind::List || args.is_undefined();
  List positional;
  if (args.kind() == Value::Kind::Tuple) {
    positional = args.as_list();
  } else {
    positional.push_back(args);
  }
  std::size_t next_arg = 0;
  std::string out;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    if (++i >= format.size()) fail("incomplete format");
    Value value;
    bool have_value = false;
    if (format[i] == '(') {
      const std::size_t close = format.find(')', i);
      if (args.is_undefined()) fail_undefined(args);
      if (close == std::string::npos || !args.is_dict()) fail("format requires a mapping");
      const Value* found = args.as_dict().find(format.substr(i + 1, close - i - 1));
      if (!found) fail("KeyError: '" + format.substr(i + 1, close - i - 1) + "'");
      value = *found;
      have_value = true;
      i = close + 1;
    }
    Spec spec;
    bool left = false;
    for (; i < format.size(); ++i) {
      const char flag = format[i];
      if (flag == '-') {
        left = true;
      } else if (flag == '0') {
        spec.zero = true;
      } else if (flag == '+' || flag == ' ') {
        spec.sign = spec.sign == '+' ? '+' : flag;
      } else if (flag == '#') {
        spec.alternate = true;
      } else {
        break;
      }
    }
    std::size_t start = i;
    while (i < format.size() && std::isdigit(static_cast<unsigned char>(format[i]))) ++i;
    if (i > start) spec.width = std::stoll(format.substr(start, i - start));
    if (i < format.size() && format[i] == '.') {
      start = ++i;
      while (i < format.size() && std::isdigit(static_cast<unsigned char>(format[i]))) ++i;
      spec.precision = i > start ? std::stoll(format.substr(start, i - start)) : 0;
    }
    if (i >= format.size()) fail("incomplete format");
    char type = format[i];
    if (type == '%') {
      out += '%';
      continue;
    }
    if (!have_value) {
      if (next_arg >= positional.size()) fail("not enough arguments for format string");
      value = positional[next_arg++];
    }
    if (type == 'i' || type == 'u') type = 'd';
    if (type == 'd' || type == 'x' || type == 'X' || type == 'o') {
      if (!value.is_number())
        fail(std::string("%") + type + " format: a real number is required, not " +
             value.type_name());
      value = Value::integer(value.is_float() ? static_cast<std::int64_t>(value.as_float())
                                              : value.as_int());
    } else if (std::string_view("fFeEgG").find(type) != std::string_view::npos) {
      if (!value.is_number()) fail("must be real number, not " + value.type_name());
      value = Value::real(value.as_float());
    } else if (type == 's' || type == 'a') {
      value = Value::string(to_str(value));
      type = 's';
    } else if (type != 'r' && type != 'c') {
      fail(std::string("unsupported format character '") + type + "'");
    }
    spec.type = type;
    // printf rules: right-aligned unless '-'; '0' pads numbers after their sign.
    spec.align = left ? '<' : '>';
    if (spec.zero && !left && type != 's' && type != 'r' && type != 'c') {
      spec.align = '=';
      spec.fill = "0";
    }
    spec.zero = false;
    out += format_value(value, spec);
  }
  if (!mapping && next_arg < positional.size())
    fail("not all arguments converted during string formatting");
  return out;
}

}  // namespace wizard::jinja
