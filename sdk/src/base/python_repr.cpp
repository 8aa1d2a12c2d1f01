#include "base/python_repr.hpp"

#include <unicode/uchar.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "base/utf8.hpp"

namespace wizard::python {

bool is_printable(char32_t c) {
  if (c < 0x80) return c >= 0x20 && c < 0x7F;
  // Python's makeunicodedata.py: printable unless the category is C* or Z* (the space aside).
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & (U_GC_C_MASK | U_GC_Z_MASK)) == 0;
}

namespace {

void append_escape(std::string& out, char kind, char32_t c, int digits) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "\\%c%0*x", kind, digits, static_cast<unsigned>(c));
  out += buffer;
}

}  // namespace

void append_str_repr(std::string& out, std::string_view text) {
  const bool has_single = text.find('\'') != std::string_view::npos;
  const bool has_double = text.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  out += quote;
  for (std::size_t pos = 0; pos < text.size();) {
    const utf8::CodePoint cp = utf8::decode(text, pos);
    const char32_t c = cp.value;
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
      if (cp.valid)
        out.append(text, pos, cp.length);
      else
        utf8::append(out, c);
    } else if (c <= 0xFF) {
      append_escape(out, 'x', c, 2);
    } else if (c <= 0xFFFF) {
      append_escape(out, 'u', c, 4);
    } else {
      append_escape(out, 'U', c, 8);
    }
    pos += cp.length;
  }
  out += quote;
}

std::string str_repr(std::string_view text) {
  std::string out;
  append_str_repr(out, text);
  return out;
}

std::string float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // The shortest round-trip digits, as "[-]d[.ddd]e[+-]x".
  char buffer[64];
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  const std::string_view scientific(buffer, static_cast<std::size_t>(result.ptr - buffer));
  const bool negative = scientific[0] == '-';
  const std::size_t e = scientific.find('e');
  std::string digits;
  for (std::size_t i = negative ? 1 : 0; i < e; ++i)
    if (scientific[i] != '.') digits += scientific[i];
  int exponent = 0;
  const char* exponent_begin = scientific.data() + e + 1;
  std::from_chars(exponent_begin + (*exponent_begin == '+'), scientific.data() + scientific.size(),
                  exponent);
  std::string out = negative ? "-" : "";
  // Python's float_repr_style 'r': positional when -4 <= exponent < 16.
  if (exponent >= -4 && exponent < 16) {
    const auto point = static_cast<std::size_t>(exponent + 1);  // digits before the point
    if (exponent < 0)
      out += "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    else if (point >= digits.size())
      out += digits + std::string(point - digits.size(), '0') + ".0";
    else
      out += digits.substr(0, point) + "." + digits.substr(point);
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  char exponent_text[16];
  std::snprintf(exponent_text, sizeof exponent_text, "e%c%02d", exponent < 0 ? '-' : '+',
                std::abs(exponent));
  return out + exponent_text;
}

}  // namespace wizard::python
