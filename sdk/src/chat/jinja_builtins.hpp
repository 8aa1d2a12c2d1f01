// The filters, tests and global functions templates can use, by name.
#pragma once

#include <string>
#include <string_view>

#include "chat/jinja_ast.hpp"

namespace wizard::jinja {

// Null when there is no such filter/test; the *_message functions then say
// whether Jinja has it (and wizard does not implement it) or nobody does.
FilterFunction find_filter(std::string_view name);
TestFunction find_test(std::string_view name);
std::string missing_filter_message(std::string_view name);
std::string missing_test_message(std::string_view name);

// Globals: range, namespace, dict, raise_exception, strftime_now, joiner.
// Undefined (with a hint) for any other name.
Value find_global(const std::string& name);

}  // namespace wizard::jinja
