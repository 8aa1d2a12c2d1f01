// Parses a Jinja template into a Program, following Jinja 2/3's grammar and
// operator precedence. Syntax errors, unknown tags, filters and tests are
// reported as Fault with the offset of the offending token.
#pragma once

#include <string_view>

#include "chat/jinja_ast.hpp"

namespace wizard::jinja {

Program parse(std::string_view source);

}  // namespace wizard::jinja
