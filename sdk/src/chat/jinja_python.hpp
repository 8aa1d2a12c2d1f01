// Python's text forms of values: str() (what `{{ x }}` prints) and repr()
// (how items print inside a list or dict).
#pragma once

#include <string>
#include <string_view>

#include "chat/jinja_value.hpp"

namespace wizard::jinja {

// Python str(value); Undefined prints as nothing. Strings and floats print through
// base/python_repr.hpp, the SDK's one Python repr.
void append_str(std::string& out, const Value& value);
std::string to_str(const Value& value);

// Python repr(value).
void append_repr(std::string& out, const Value& value);

}  // namespace wizard::jinja
