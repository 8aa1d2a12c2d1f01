// Python's two string formatting forms: `"%s" % args` (and the `format`
// filter) and `"{}".format(args)`, for the conversions templates use.
#pragma once

#include <string>

#include "chat/jinja_value.hpp"

namespace wizard::jinja {

std::string percent_format(const std::string& format, const Value& args);
std::string brace_format(const std::string& format, const Arguments& args);

}  // namespace wizard::jinja
