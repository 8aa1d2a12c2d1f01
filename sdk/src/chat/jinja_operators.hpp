// Python's operators and Jinja's ways of reaching into values: arithmetic,
// comparison, `in`, attribute and item lookup, slicing, iteration and len().
// Type mismatches fail with Python's own wording.
#pragma once

#include <string>

#include "chat/jinja_ast.hpp"
#include "chat/jinja_value.hpp"

namespace wizard::jinja {

Value binary_operation(BinaryOp op, const Value& left, const Value& right);
Value negate(const Value& operand);
Value unary_plus(const Value& operand);

bool equals(const Value& left, const Value& right);
// Python's `<`; fails for unordered types.
bool less_than(const Value& left, const Value& right);
bool compare(CompareOp op, const Value& left, const Value& right);
bool contains(const Value& container, const Value& item);

// Jinja's environment.getattr / getitem in the sandbox: a missing attribute
// or key gives an undefined value that says what was missing.
Value get_attribute(const Value& object, const std::string& name);
Value get_item(const Value& object, const Value& key);
Value get_slice(const Value& object, const Value& start, const Value& stop, const Value& step);

// Python iteration: lists and tuples, a dict's keys, a string's characters;
// undefined iterates as empty.
List iterate(const Value& value);
// Python len(); undefined has length 0.
std::size_t length(const Value& value);

// "'dict object'", "'None'": how Jinja names a value's type in messages.
std::string object_description(const Value& value);

}  // namespace wizard::jinja
