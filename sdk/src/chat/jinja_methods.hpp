// Python methods of str, dict and list as templates call them
// (`message.content.strip()`, `tool.items()`), with the sandbox's rule that
// methods changing a list or dict in place are unsafe.
#pragma once

#include <string>

#include "chat/jinja_value.hpp"

namespace wizard::jinja {

enum class MethodStatus {
  Missing,      // Python's type has no such attribute
  Available,    // implemented
  Unsafe,       // mutates: the sandbox refuses it
  Unsupported,  // Python has it, wizard does not implement it
};

MethodStatus method_status(const Value& self, const std::string& name);

// The bound method `self.name` as a callable value.
Value bind_method(const Value& self, const std::string& name);

Value call_method(const Value& self, const std::string& name, const Arguments& args);

}  // namespace wizard::jinja
