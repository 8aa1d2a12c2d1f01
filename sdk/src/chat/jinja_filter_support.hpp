// Helpers shared by filters and tests: Jinja's attribute getters, sort keys,
// and Python's int()/float() conversions.
#pragma once

#include <functional>
#include <optional>

#include "chat/jinja_value.hpp"

namespace wizard::jinja {

// Jinja's make_attrgetter: "a.b.0" looks up item a, then b, then index 0.
// An undefined result becomes `fallback` when that is defined.
Value attribute_path(const Value& item, const Value& attribute, const Value& fallback);

// Strings compare case-insensitively unless `case_sensitive`.
Value sort_key(const Value& value, bool case_sensitive);

// Python's stable sorted(items, key=key, reverse=reverse).
void sort_values(List& items, bool reverse, const std::function<Value(const Value&)>& key);

// Python int(value) / int(text, base) and float(value); nullopt where Python raises
// TypeError or ValueError.
std::optional<std::int64_t> parse_python_int(const Value& value, int base);
std::optional<double> parse_python_float(const Value& value);

}  // namespace wizard::jinja
