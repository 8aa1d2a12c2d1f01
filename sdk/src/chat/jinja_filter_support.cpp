#include "chat/jinja_filter_support.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include "chat/jinja_operators.hpp"
#include "chat/jinja_python.hpp"
#include "chat/jinja_unicode.hpp"

namespace wizard::jinja {

Value attribute_path(const Value& item, const Value& attribute, const Value& fallback) {
  std::vector<Value> parts;
  if (attribute.is_string()) {
    const std::string& path = attribute.as_string();
    std::size_t start = 0;
    while (true) {
      const std::size_t dot = path.find('.', start);
      std::string part =
          path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      const bool numeric =
          !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
      parts.push_back(numeric ? Value::integer(std::stoll(part)) : Value::string(std::move(part)));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
  } else {
    parts.push_back(attribute);
  }
  Value current = item;
  for (const Value& part : parts) {
    current = get_item(current, part);
    if (current.is_undefined() && !fallback.is_undefined()) current = fallback;
  }
  return current;
}

Value sort_key(const Value& value, bool case_sensitive) {
  if (!case_sensitive && value.is_string()) return Value::string(unicode::lower(value.as_string()));
  return value;
}

void sort_values(List& items, bool reverse, const std::function<Value(const Value&)>& key) {
  std::vector<Value> keys;
  keys.reserve(items.size());
  for (const Value& item : items) keys.push_back(key(item));
  std::vector<std::size_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return reverse ? less_than(keys[b], keys[a]) : less_than(keys[a], keys[b]);
  });
  List sorted;
  sorted.reserve(items.size());
  for (const std::size_t i : order) sorted.push_back(std::move(items[i]));
  items = std::move(sorted);
}

namespace {

// Python's numeric literal text: surrounding whitespace allowed, and single
// underscores between digits.
std::optional<std::string> clean_number_text(const std::string& raw) {
  const std::string_view text = unicode::strip(raw, unicode::Side::Both);
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      const bool between = i > 0 && i + 1 < text.size() &&
                           std::isalnum(static_cast<unsigned char>(text[i - 1])) &&
                           std::isalnum(static_cast<unsigned char>(text[i + 1]));
      if (!between) return std::nullopt;
      continue;
    }
    out += text[i];
  }
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace

std::optional<std::int64_t> parse_python_int(const Value& value, int base) {
  if (value.is_integral()) return value.as_int();
  if (value.is_float()) {
    const double v = value.as_float();
    if (!std::isfinite(v)) return std::nullopt;
    return static_cast<std::int64_t>(std::trunc(v));
  }
  if (!value.is_string()) return std::nullopt;
  const auto text = clean_number_text(value.as_string());
  if (!text) return std::nullopt;
  std::size_t start = (*text)[0] == '+' || (*text)[0] == '-' ? 1 : 0;
  if (text->size() > start + 1 && (*text)[start] == '0') {
    const char prefix = static_cast<char>((*text)[start + 1] | 0x20);
    const int prefixed = prefix == 'x' ? 16 : prefix == 'o' ? 8 : prefix == 'b' ? 2 : 0;
    if (prefixed && (base == prefixed || base == 0)) {
      base = prefixed;
      start += 2;
    }
  }
  if (base == 0) base = 10;
  const std::string digits = text->substr(start);
  if (digits.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long magnitude = std::strtoll(digits.c_str(), &end, base);
  if (*end != '\0' || digits[0] == '-' || digits[0] == '+' || errno == ERANGE) return std::nullopt;
  return (*text)[0] == '-' ? -magnitude : magnitude;
}

std::optional<double> parse_python_float(const Value& value) {
  if (value.is_number()) return value.as_float();
  if (!value.is_string()) return std::nullopt;
  const auto text = clean_number_text(value.as_string());
  if (!text) return std::nullopt;
  char* end = nullptr;
  const double number = std::strtod(text->c_str(), &end);
  if (*end != '\0') return std::nullopt;
  // strtod also reads hex floats, which Python's float() refuses.
  if (text->find_first_of("xX") != std::string::npos) return std::nullopt;
  return number;
}

}  // namespace wizard::jinja
