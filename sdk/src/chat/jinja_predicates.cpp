// Jinja's built-in tests (`x is defined`, `n is odd`, ...), as Jinja 3.1 defines them.
#include "chat/jinja_builtins.hpp"
#include "chat/jinja_operators.hpp"
#include "chat/jinja_python.hpp"
#include "chat/jinja_unicode.hpp"

namespace wizard::jinja {

namespace {

bool remainder_is(const Value& value, const Value& divisor, std::int64_t expected) {
  const Value remainder = binary_operation(BinaryOp::Modulo, value, divisor);
  return equals(remainder, Value::integer(expected));
}

// Tests that take no argument besides the tested value.
template <bool (*Predicate)(const Value&)>
bool unary(const Value& value, const Arguments& args) {
  if (!args.positional.empty() || !args.keywords.empty()) fail("this test takes no arguments");
  return Predicate(value);
}

bool is_defined(const Value& v) {
  return !v.is_undefined();
}
bool is_undefined(const Value& v) {
  return v.is_undefined();
}
bool is_none(const Value& v) {
  return v.is_none();
}
bool is_boolean(const Value& v) {
  return v.is_bool();
}
bool is_true(const Value& v) {
  return v.is_bool() && v.as_bool();
}
bool is_false(const Value& v) {
  return v.is_bool() && !v.as_bool();
}
bool is_integer(const Value& v) {
  return v.is_int();
}
bool is_float(const Value& v) {
  return v.is_float();
}
bool is_number(const Value& v) {
  return v.is_number();
}
bool is_string(const Value& v) {
  return v.is_string();
}
bool is_mapping(const Value& v) {
  return v.is_dict();
}
bool is_escaped(const Value&) {
  return false;
}  // no Markup values here
// len(), [] and iter() all work; Undefined has all three, as in Jinja.
bool is_sequence(const Value& v) {
  return v.is_string() || v.is_sequence() || v.is_dict() || v.is_undefined();
}
bool is_iterable(const Value& v) {
  return is_sequence(v) || (v.is_object() && v.as_object().is_iterable());
}
// Undefined has __call__ (that fails), so Python's callable() says yes.
bool is_callable(const Value& v) {
  return v.is_undefined() || (v.is_object() && v.as_object().is_callable());
}
bool is_odd(const Value& v) {
  return remainder_is(v, Value::integer(2), 1);
}
bool is_even(const Value& v) {
  return remainder_is(v, Value::integer(2), 0);
}

bool is_lower(const Value& v) {
  const std::string text = to_str(v);
  return unicode::lower(text) == text && unicode::upper(text) != text;
}

bool is_upper(const Value& v) {
  const std::string text = to_str(v);
  return unicode::upper(text) == text && unicode::lower(text) != text;
}

bool is_filter_name(const Value& v) {
  return v.is_string() && find_filter(v.as_string()) != nullptr;
}
bool is_test_name(const Value& v) {
  return v.is_string() && find_test(v.as_string()) != nullptr;
}

const Value& other(const char* test, const Arguments& args) {
  return BoundArguments(test, args, {"other"}, 1).get(0);
}

bool test_divisibleby(const Value& v, const Arguments& a) {
  return remainder_is(v, BoundArguments("divisibleby", a, {"num"}, 1).get(0), 0);
}
bool test_eq(const Value& v, const Arguments& a) {
  return equals(v, other("eq", a));
}
bool test_ne(const Value& v, const Arguments& a) {
  return !equals(v, other("ne", a));
}
bool test_lt(const Value& v, const Arguments& a) {
  return less_than(v, other("lt", a));
}
bool test_le(const Value& v, const Arguments& a) {
  return compare(CompareOp::LessEqual, v, other("le", a));
}
bool test_gt(const Value& v, const Arguments& a) {
  return less_than(other("gt", a), v);
}
bool test_ge(const Value& v, const Arguments& a) {
  return compare(CompareOp::GreaterEqual, v, other("ge", a));
}
bool test_in(const Value& v, const Arguments& a) {
  return contains(BoundArguments("in", a, {"seq"}, 1).get(0), v);
}
bool test_sameas(const Value& v, const Arguments& a) {
  return v.same_as(other("sameas", a));
}

struct TestEntry {
  std::string_view name;
  TestFunction function;
};

constexpr TestEntry kTests[] = {
    {"defined", unary<is_defined>},
    {"undefined", unary<is_undefined>},
    {"none", unary<is_none>},
    {"boolean", unary<is_boolean>},
    {"true", unary<is_true>},
    {"false", unary<is_false>},
    {"integer", unary<is_integer>},
    {"float", unary<is_float>},
    {"number", unary<is_number>},
    {"string", unary<is_string>},
    {"mapping", unary<is_mapping>},
    {"sequence", unary<is_sequence>},
    {"iterable", unary<is_iterable>},
    {"callable", unary<is_callable>},
    {"escaped", unary<is_escaped>},
    {"odd", unary<is_odd>},
    {"even", unary<is_even>},
    {"divisibleby", test_divisibleby},
    {"lower", unary<is_lower>},
    {"upper", unary<is_upper>},
    {"filter", unary<is_filter_name>},
    {"test", unary<is_test_name>},
    {"eq", test_eq},
    {"equalto", test_eq},
    {"==", test_eq},
    {"ne", test_ne},
    {"!=", test_ne},
    {"lt", test_lt},
    {"lessthan", test_lt},
    {"<", test_lt},
    {"le", test_le},
    {"<=", test_le},
    {"gt", test_gt},
    {"greaterthan", test_gt},
    {">", test_gt},
    {"ge", test_ge},
    {">=", test_ge},
    {"in", test_in},
    {"sameas", test_sameas},
};

}  // namespace

TestFunction find_test(std::string_view name) {
  for (const auto& entry : kTests) {
    if (entry.name == name) return entry.function;
  }
  return nullptr;
}

std::string missing_test_message(std::string_view name) {
  return "no test named '" + std::string(name) + "'";
}

}  // namespace wizard::jinja
