// Python's str.format(**row) for templates written for training-wizard:
// "{column}" placeholders filled from a row, "{{" and "}}" for literal braces.
//
//   wizard::python_format("<in>{input}</in> {{x}}", row)   // "<in>hello</in> {x}"
#pragma once

#include <string>
#include <string_view>

#include "wizard/base/error.hpp"
#include "wizard/base/export.hpp"
#include "wizard/data/dataset.hpp"

namespace wizard {

// A template that cannot be filled: a malformed placeholder, or a column the
// row does not have (missing_column() is then set). The message has no place;
// callers add the row's file:line and the template's key.
class WIZARD_API TemplateFillError : public Error {
 public:
  TemplateFillError(const std::string& message, std::string missing_column);
  ~TemplateFillError() override;
  const std::string& missing_column() const noexcept { return missing_column_; }

 private:
  std::string missing_column_;
};

// Python's str(value) for a JSON value: strings as they are, integers and
// floats as Python prints them (1.0, 1e-05, 1e+16), true/false as True/False,
// null as None, arrays and objects as Python's repr ({'a': [1, 'x']}).
WIZARD_API std::string python_str(const Row& value);
// Python's repr(value): strings quoted and escaped as Python does.
WIZARD_API std::string python_repr(const Row& value);

// `format` with each "{name}" replaced by python_str(row[name]) ("{name!r}":
// python_repr, "{name!s}": python_str). "{{" and "}}" are literal braces.
// Format specs ("{x:>10}"), attribute and index lookups ("{x.y}", "{x[0]}")
// and positional fields ("{}", "{0}") are TemplateFillErrors that say so.
WIZARD_API std::string python_format(std::string_view format, const Row& row);

}  // namespace wizard
