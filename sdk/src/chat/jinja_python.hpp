// Python's text forms of values: str() (what `{{ x }}` prints) and repr()
// (how items print inside a list or dict), including float repr.
#pragma once

#include <string>
#include <string_view>

#include "chat/jinja_value.hpp"

namespace wizard::jinja {

// Python str(value); Undefined prints as nothing.
void append_str(std::string& out, const Value& value);
std::string to_str(const Value& value);

// Python repr(value).
void append_repr(std::string& out, const Value& value);

// Python repr(float): the shortest digits that read back to the same double.
std::string float_repr(double value);

}  // namespace wizard::jinja
