#include "wizard/data/python_format.hpp"

#include "base/python_repr.hpp"

namespace wizard {

TemplateFillError::TemplateFillError(const std::string& message, std::string missing_column)
    : Error(message), missing_column_(std::move(missing_column)) {}
TemplateFillError::~TemplateFillError() = default;

namespace {

std::string python_value(const Row& value, bool repr_strings) {
  switch (value.type()) {
    case Row::value_t::null:
      return "None";
    case Row::value_t::boolean:
      return value.get<bool>() ? "True" : "False";
    case Row::value_t::number_integer:
      return std::to_string(value.get<std::int64_t>());
    case Row::value_t::number_unsigned:
      return std::to_string(value.get<std::uint64_t>());
    case Row::value_t::number_float:
      return python::float_repr(value.get<double>());
    case Row::value_t::string:
      return repr_strings ? python::str_repr(value.get<std::string>()) : value.get<std::string>();
    case Row::value_t::array: {
      std::string out = "[";
      for (std::size_t i = 0; i < value.size(); ++i) {
        out += (i ? ", " : "") + python_value(value[i], true);
      }
      return out + "]";
    }
    case Row::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (const auto& item : value.items()) {
        out += (first ? "" : ", ") + python::str_repr(item.key()) + ": " +
               python_value(item.value(), true);
        first = false;
      }
      return out + "}";
    }
    default:
      return value.dump();
  }
}

std::string columns_of(const Row& row) {
  std::string out;
  for (const auto& item : row.items()) out += (out.empty() ? "" : ", ") + item.key();
  return out.empty() ? "(none)" : out;
}

// One "{...}" field (without the braces): the value it stands for.
std::string fill_field(std::string_view field, const Row& row) {
  // An empty spec ("{x:}") formats as plain "{x}" in Python.
  if (!field.empty() && field.back() == ':') field.remove_suffix(1);
  std::string_view name = field;
  char conversion = 's';
  const auto colon = field.find(':');
  const auto bang = field.find('!');
  if (colon != std::string_view::npos && (bang == std::string_view::npos || colon < bang)) {
    throw TemplateFillError("'{" + std::string(field) +
                                "}': format specifications (after ':') are not supported; "
                                "write '{" +
                                std::string(field.substr(0, colon)) + "}'",
                            "");
  }
  if (bang != std::string_view::npos) {
    name = field.substr(0, bang);
    const std::string_view rest = field.substr(bang + 1);
    if (rest.size() != 1 || (rest[0] != 's' && rest[0] != 'r')) {
      throw TemplateFillError(
          "'{" + std::string(field) + "}': a conversion must be !s or !r, followed by '}'", "");
    }
    conversion = rest[0];
  }
  if (name.empty() || name.find_first_not_of("0123456789") == std::string_view::npos) {
    throw TemplateFillError("'{" + std::string(field) +
                                "}': positional fields are not available; name a column, "
                                "e.g. '{prompt}' (write '{{' and '}}' for literal braces)",
                            "");
  }
  if (name.find_first_of(".[") != std::string_view::npos) {
    throw TemplateFillError("'{" + std::string(field) +
                                "}': attribute and index lookups are not supported; name a "
                                "column (write '{{' and '}}' for literal braces)",
                            "");
  }
  const std::string column(name);
  const auto it = row.find(column);
  if (it == row.end()) {
    throw TemplateFillError(
        "the row has no column '" + column + "' (columns: " + columns_of(row) + ")", column);
  }
  return conversion == 's' ? python_str(*it) : python_repr(*it);
}

}  // namespace

std::string python_str(const Row& value) {
  return python_value(value, false);
}

std::string python_repr(const Row& value) {
  return python_value(value, true);
}

std::string python_format(std::string_view format, const Row& row) {
  std::string out;
  out.reserve(format.size());
  std::size_t i = 0;
  while (i < format.size()) {
    const char c = format[i];
    if (c == '}') {
      if (i + 1 < format.size() && format[i + 1] == '}') {
        out += '}';
        i += 2;
        continue;
      }
      throw TemplateFillError(
          "single '}' at character " + std::to_string(i + 1) + "; write '}}' for a literal brace",
          "");
    }
    if (c != '{') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '{') {
      out += '{';
      i += 2;
      continue;
    }
    const auto close = format.find_first_of("{}", i + 1);
    if (close == std::string_view::npos || format[close] == '{') {
      throw TemplateFillError("the '{' at character " + std::to_string(i + 1) +
                                  " is not closed by '}'; write '{{' for a literal brace",
                              "");
    }
    out += fill_field(format.substr(i + 1, close - i - 1), row);
    i = close + 1;
  }
  return out;
}

}  // namespace wizard
