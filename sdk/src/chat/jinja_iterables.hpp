// Python's lazy sequences that templates can observe: the generators Jinja's
// filters return (map, select, unique, ...) and reversed(), and dict views.
// A generator is truthy even when empty, has no len() and no indexing, is used
// up by the first iteration, and raises its error only when consumed; a dict
// view has a length but no indexing.
#pragma once

#include <functional>
#include <string>

#include "chat/jinja_value.hpp"

namespace wizard::jinja {

// Runs `produce` now; a Fault it raises is kept and raised on first use.
Value make_generator(std::string type_name, const std::function<List()>& produce);

enum class DictViewKind { Keys, Values, Items };
Value make_dict_view(const Value& dict, DictViewKind kind);

// An object that iterates but has no len(), e.g. a generator.
bool is_generator(const Value& value);

}  // namespace wizard::jinja
