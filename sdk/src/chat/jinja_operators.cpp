#include "chat/jinja_operators.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/utf8.hpp"
#include "chat/jinja_format.hpp"
#include "chat/jinja_methods.hpp"
#include "chat/jinja_python.hpp"
#include "chat/jinja_unicode.hpp"

namespace wizard::jinja {

namespace {

const char* symbol(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add:
      return "+";
    case BinaryOp::Subtract:
      return "-";
    case BinaryOp::Multiply:
      return "*";
    case BinaryOp::Divide:
      return "/";
    case BinaryOp::FloorDivide:
      return "//";
    case BinaryOp::Modulo:
      return "%";
    case BinaryOp::Power:
      return "** or pow()";
  }
  return "?";
}

[[noreturn]] void fail_operands(BinaryOp op, const Value& left, const Value& right) {
  fail(std::string("unsupported operand type(s) for ") + symbol(op) + ": '" + left.type_name() +
       "' and '" + right.type_name() + "'");
}

[[noreturn]] void fail_overflow() {
  fail("integer overflow: the result does not fit in 64 bits");
}

std::int64_t add_checked(std::int64_t a, std::int64_t b) {
  std::int64_t result = 0;
  if (__builtin_add_overflow(a, b, &result)) fail_overflow();
  return result;
}

std::int64_t subtract_checked(std::int64_t a, std::int64_t b) {
  std::int64_t result = 0;
  if (__builtin_sub_overflow(a, b, &result)) fail_overflow();
  return result;
}

std::int64_t multiply_checked(std::int64_t a, std::int64_t b) {
  std::int64_t result = 0;
  if (__builtin_mul_overflow(a, b, &result)) fail_overflow();
  return result;
}

// Python's float floor division and modulo (sign follows the divisor).
std::pair<double, double> float_divmod(double x, double y) {
  if (y == 0.0) fail("float division by zero");
  double mod = std::fmod(x, y);
  double div = (x - mod) / y;
  if (mod != 0.0) {
    if ((y < 0) != (mod < 0)) {
      mod += y;
      div -= 1.0;
    }
  } else {
    mod = std::copysign(0.0, y);
  }
  double floor_div;
  if (div != 0.0) {
    floor_div = std::floor(div);
    if (div - floor_div > 0.5) floor_div += 1.0;
  } else {
    floor_div = std::copysign(0.0, x / y);
  }
  return {floor_div, mod};
}

std::pair<std::int64_t, std::int64_t> int_divmod(std::int64_t x, std::int64_t y) {
  if (y == 0) fail("integer division or modulo by zero");
  if (x == std::numeric_limits<std::int64_t>::min() && y == -1) fail_overflow();
  std::int64_t div = x / y;
  std::int64_t mod = x % y;
  if (mod != 0 && ((mod < 0) != (y < 0))) {
    mod += y;
    div -= 1;
  }
  return {div, mod};
}

Value repeat(const Value& sequence, std::int64_t times) {
  if (sequence.is_string()) {
    std::string out;
    for (std::int64_t i = 0; i < times; ++i) out += sequence.as_string();
    return Value::string(std::move(out));
  }
  List items;
  for (std::int64_t i = 0; i < times; ++i) {
    items.insert(items.end(), sequence.as_list().begin(), sequence.as_list().end());
  }
  return sequence.kind() == Value::Kind::Tuple ? Value::tuple(std::move(items))
                                               : Value::list(std::move(items));
}

bool is_repeatable(const Value& v) {
  return v.is_string() || v.is_sequence();
}

Value power(const Value& left, const Value& right) {
  if (left.is_integral() && right.is_integral() && right.as_int() >= 0) {
    std::int64_t result = 1;
    std::int64_t base = left.as_int();
    for (std::int64_t e = right.as_int(); e > 0; e >>= 1) {
      if (e & 1) result = multiply_checked(result, base);
      if (e > 1) base = multiply_checked(base, base);
    }
    return Value::integer(result);
  }
  const double base = left.as_float();
  const double exponent = right.as_float();
  if (base == 0.0 && exponent < 0) fail("0.0 cannot be raised to a negative power");
  if (base < 0 && std::isfinite(exponent) && exponent != std::floor(exponent)) {
    fail(
        "a negative number raised to a fractional power is complex in Python; complex numbers are "
        "not supported");
  }
  const double result = std::pow(base, exponent);
  if (std::isinf(result) && std::isfinite(base) && std::isfinite(exponent)) {
    fail("(34, 'Numerical result out of range')");  // Python's OverflowError
  }
  return Value::real(result);
}

Value arithmetic(BinaryOp op, const Value& left, const Value& right) {
  const bool integral = left.is_integral() && right.is_integral();
  const std::int64_t a = left.as_int();
  const std::int64_t b = right.as_int();
  switch (op) {
    case BinaryOp::Add:
      return integral ? Value::integer(add_checked(a, b))
                      : Value::real(left.as_float() + right.as_float());
    case BinaryOp::Subtract:
      return integral ? Value::integer(subtract_checked(a, b))
                      : Value::real(left.as_float() - right.as_float());
    case BinaryOp::Multiply:
      return integral ? Value::integer(multiply_checked(a, b))
                      : Value::real(left.as_float() * right.as_float());
    case BinaryOp::Divide:
      if (right.as_float() == 0.0) fail("division by zero");
      return Value::real(left.as_float() / right.as_float());
    case BinaryOp::FloorDivide:
      return integral ? Value::integer(int_divmod(a, b).first)
                      : Value::real(float_divmod(left.as_float(), right.as_float()).first);
    case BinaryOp::Modulo:
      return integral ? Value::integer(int_divmod(a, b).second)
                      : Value::real(float_divmod(left.as_float(), right.as_float()).second);
    case BinaryOp::Power:
      return power(left, right);
  }
  fail_operands(op, left, right);
}

Value add_non_numbers(const Value& left, const Value& right) {
  if (left.is_string()) {
    if (!right.is_string()) {
      fail("can only concatenate str (not \"" + right.type_name() + "\") to str");
    }
    return Value::string(left.as_string() + right.as_string());
  }
  if (left.is_sequence() && left.kind() == right.kind()) {
    List items = left.as_list();
    items.insert(items.end(), right.as_list().begin(), right.as_list().end());
    return left.kind() == Value::Kind::Tuple ? Value::tuple(std::move(items))
                                             : Value::list(std::move(items));
  }
  if (left.is_sequence()) {
    fail("can only concatenate " + left.type_name() + " (not \"" + right.type_name() + "\") to " +
         left.type_name());
  }
  fail_operands(BinaryOp::Add, left, right);
}

std::string object_type_name(const Value& value) {
  return value.is_none() ? "None" : value.type_name() + " object";
}

bool sequences_equal(const List& a, const List& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!equals(a[i], b[i])) return false;
  }
  return true;
}

bool dicts_equal(const Dict& a, const Dict& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [key, value] : a) {
    const Value* other = b.find(key);
    if (!other || !equals(value, *other)) return false;
  }
  return true;
}

// Python's index normalisation for one subscript: negative counts from the end.
bool normalize_index(std::int64_t& index, std::size_t size) {
  if (index < 0) index += static_cast<std::int64_t>(size);
  return index >= 0 && index < static_cast<std::int64_t>(size);
}

std::int64_t slice_bound(const Value& value, const char* what) {
  if (!value.is_integral()) {
    fail(std::string("slice indices must be integers or None, not ") + value.type_name() + " (" +
         what + ")");
  }
  return value.as_int();
}

// PySlice_AdjustIndices: the positions a slice selects, in order.
std::vector<std::size_t> slice_positions(std::size_t size, const Value& start_value,
                                         const Value& stop_value, const Value& step_value) {
  const bool has_step = !step_value.is_none() && !step_value.is_undefined();
  const std::int64_t step = has_step ? slice_bound(step_value, "step") : 1;
  if (step == 0) fail("slice step cannot be zero");
  const auto n = static_cast<std::int64_t>(size);
  const auto adjust = [&](const Value& bound, std::int64_t fallback, const char* what) {
    if (bound.is_none() || bound.is_undefined()) return fallback;
    std::int64_t index = slice_bound(bound, what);
    if (index < 0) {
      index += n;
      if (index < 0) index = step < 0 ? -1 : 0;
    } else if (index >= n) {
      index = step < 0 ? n - 1 : n;
    }
    return index;
  };
  const std::int64_t start = adjust(start_value, step < 0 ? n - 1 : 0, "start");
  const std::int64_t stop = adjust(stop_value, step < 0 ? -1 : n, "stop");
  std::vector<std::size_t> positions;
  for (std::int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    positions.push_back(static_cast<std::size_t>(i));
  }
  return positions;
}

}  // namespace

std::string object_description(const Value& value) {
  return "'" + object_type_name(value) + "'";
}

Value binary_operation(BinaryOp op, const Value& left, const Value& right) {
  // str % x runs str.__mod__ first, which accepts Undefined as a mapping.
  if (op == BinaryOp::Modulo && left.is_string()) {
    return Value::string(percent_format(left.as_string(), right));
  }
  if (left.is_undefined()) fail_undefined(left);
  if (right.is_undefined()) fail_undefined(right);
  if (left.is_number() && right.is_number()) return arithmetic(op, left, right);
  switch (op) {
    case BinaryOp::Add:
      return add_non_numbers(left, right);
    case BinaryOp::Multiply:
      if (is_repeatable(left) && right.is_integral()) return repeat(left, right.as_int());
      if (left.is_integral() && is_repeatable(right)) return repeat(right, left.as_int());
      break;
    default:
      break;
  }
  fail_operands(op, left, right);
}

Value negate(const Value& operand) {
  if (operand.is_undefined()) fail_undefined(operand);
  if (operand.is_float()) return Value::real(-operand.as_float());
  if (operand.is_integral()) return Value::integer(subtract_checked(0, operand.as_int()));
  fail("bad operand type for unary -: '" + operand.type_name() + "'");
}

Value unary_plus(const Value& operand) {
  if (operand.is_undefined()) fail_undefined(operand);
  if (operand.is_float()) return operand;
  if (operand.is_integral()) return Value::integer(operand.as_int());
  fail("bad operand type for unary +: '" + operand.type_name() + "'");
}

bool equals(const Value& left, const Value& right) {
  if (left.is_number() && right.is_number()) {
    if (left.is_integral() && right.is_integral()) return left.as_int() == right.as_int();
    return left.as_float() == right.as_float();
  }
  if (left.kind() != right.kind()) return false;
  switch (left.kind()) {
    case Value::Kind::Undefined:
    case Value::Kind::None:
      return true;
    case Value::Kind::String:
      return left.as_string() == right.as_string();
    case Value::Kind::List:
    case Value::Kind::Tuple:
      return sequences_equal(left.as_list(), right.as_list());
    case Value::Kind::Dict:
      return dicts_equal(left.as_dict(), right.as_dict());
    default:
      return left.same_as(right);
  }
}

bool less_than(const Value& left, const Value& right) {
  if (left.is_undefined()) fail_undefined(left);
  if (right.is_undefined()) fail_undefined(right);
  if (left.is_number() && right.is_number()) {
    if (left.is_integral() && right.is_integral()) return left.as_int() < right.as_int();
    return left.as_float() < right.as_float();
  }
  if (left.is_string() && right.is_string()) return left.as_string() < right.as_string();
  if (left.is_sequence() && left.kind() == right.kind()) {
    const List& a = left.as_list();
    const List& b = right.as_list();
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
      if (!equals(a[i], b[i])) return less_than(a[i], b[i]);
    }
    return a.size() < b.size();
  }
  fail("'<' not supported between instances of '" + left.type_name() + "' and '" +
       right.type_name() + "'");
}

bool compare(CompareOp op, const Value& left, const Value& right) {
  switch (op) {
    case CompareOp::Equal:
      return equals(left, right);
    case CompareOp::NotEqual:
      return !equals(left, right);
    case CompareOp::Less:
      return less_than(left, right);
    case CompareOp::LessEqual:
      return less_than(left, right) || equals(left, right);
    case CompareOp::Greater:
      return less_than(right, left);
    case CompareOp::GreaterEqual:
      return less_than(right, left) || equals(left, right);
    case CompareOp::In:
      return contains(right, left);
    case CompareOp::NotIn:
      return !contains(right, left);
  }
  return false;
}

bool contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::String:
      if (!item.is_string()) {
        fail("'in <string>' requires string as left operand, not " + item.type_name());
      }
      return container.as_string().find(item.as_string()) != std::string::npos;
    case Value::Kind::List:
    case Value::Kind::Tuple:
      for (const Value& element : container.as_list()) {
        if (equals(element, item)) return true;
      }
      return false;
    case Value::Kind::Dict:
      // Python hashes the item: lists and dicts cannot be keys.
      if (item.is_sequence() && item.kind() == Value::Kind::List) fail("unhashable type: 'list'");
      if (item.is_dict()) fail("unhashable type: 'dict'");
      return item.is_string() && container.as_dict().find(item.as_string()) != nullptr;
    case Value::Kind::Undefined:
      return false;
    case Value::Kind::Object:
      if (container.as_object().is_iterable()) {
        const List items = container.as_object().iterate();
        return std::any_of(items.begin(), items.end(),
                           [&](const Value& element) { return equals(element, item); });
      }
      [[fallthrough]];
    default:
      fail("argument of type '" + container.type_name() + "' is not iterable");
  }
}

Value get_attribute(const Value& object, const std::string& name) {
  if (object.is_undefined()) fail_undefined(object);
  if (object.is_object()) return object.as_object().attribute(name);
  const std::string missing = object_description(object) + " has no attribute '" + name + "'";
  if (!name.empty() && name[0] == '_') {
    return Value::undefined("access to attribute '" + name + "' of '" + object.type_name() +
                            "' object is unsafe.");
  }
  switch (method_status(object, name)) {
    case MethodStatus::Available:
    case MethodStatus::Unsupported:
      return bind_method(object, name);
    case MethodStatus::Unsafe:
      return Value::undefined("access to attribute '" + name + "' of '" + object.type_name() +
                              "' object is unsafe.");
    case MethodStatus::Missing:
      break;
  }
  if (object.is_dict()) {
    if (const Value* value = object.as_dict().find(name)) return *value;
  }
  return Value::undefined(missing);
}

Value get_item(const Value& object, const Value& key) {
  if (object.is_undefined()) fail_undefined(object);
  switch (object.kind()) {
    case Value::Kind::Dict:
      if (key.is_string()) {
        if (const Value* value = object.as_dict().find(key.as_string())) return *value;
      }
      break;
    case Value::Kind::List:
    case Value::Kind::Tuple:
      if (key.is_integral()) {
        std::int64_t index = key.as_int();
        if (normalize_index(index, object.as_list().size()))
          return object.as_list()[static_cast<std::size_t>(index)];
      }
      break;
    case Value::Kind::String:
      if (key.is_integral()) {
        const std::string& text = object.as_string();
        std::int64_t index = key.as_int();
        if (utf8::is_ascii(text)) {
          if (normalize_index(index, text.size()))
            return Value::string(text.substr(static_cast<std::size_t>(index), 1));
        } else {
          const auto bounds = utf8::boundaries(text);
          if (normalize_index(index, bounds.size() - 1)) {
            const auto i = static_cast<std::size_t>(index);
            return Value::string(text.substr(bounds[i], bounds[i + 1] - bounds[i]));
          }
        }
      }
      break;
    default:
      break;
  }
  // Jinja falls back to the attribute of that name (`d['items']`, `ns['x']`).
  if (key.is_string()) return get_attribute(object, key.as_string());
  std::string description = object_type_name(object) + " has no element ";
  append_repr(description, key);
  return Value::undefined(description);
}

Value get_slice(const Value& object, const Value& start, const Value& stop, const Value& step) {
  if (object.is_undefined()) fail_undefined(object);
  if (object.is_string()) {
    const std::string& text = object.as_string();
    const bool ascii = utf8::is_ascii(text);
    const std::vector<std::size_t> bounds =
        ascii ? std::vector<std::size_t>{} : utf8::boundaries(text);
    const std::size_t size = ascii ? text.size() : bounds.size() - 1;
    std::string out;
    for (const std::size_t i : slice_positions(size, start, stop, step)) {
      if (ascii) {
        out += text[i];
      } else {
        out.append(text, bounds[i], bounds[i + 1] - bounds[i]);
      }
    }
    return Value::string(std::move(out));
  }
  if (object.is_sequence()) {
    const List& items = object.as_list();
    List out;
    for (const std::size_t i : slice_positions(items.size(), start, stop, step))
      out.push_back(items[i]);
    return object.kind() == Value::Kind::Tuple ? Value::tuple(std::move(out))
                                               : Value::list(std::move(out));
  }
  // Jinja slices with Python's own [] (not its lenient getitem), so this is Python's TypeError.
  if (object.is_dict()) fail("unhashable type: 'slice'");
  fail("'" + object.type_name() + "' object is not subscriptable");
}

List iterate(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::List:
    case Value::Kind::Tuple:
      return value.as_list();
    case Value::Kind::Dict: {
      List keys;
      keys.reserve(value.as_dict().size());
      for (const auto& entry : value.as_dict()) keys.push_back(Value::string(entry.first));
      return keys;
    }
    case Value::Kind::String: {
      List chars;
      const std::string& text = value.as_string();
      for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t start = pos;
        utf8::next(text, pos);
        chars.push_back(Value::string(text.substr(start, pos - start)));
      }
      return chars;
    }
    case Value::Kind::Undefined:
      return {};
    case Value::Kind::Object:
      if (value.as_object().is_iterable()) return value.as_object().iterate();
      [[fallthrough]];
    default:
      fail("'" + value.type_name() + "' object is not iterable");
  }
}

std::size_t length(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::String:
      return utf8::count(value.as_string());
    case Value::Kind::List:
    case Value::Kind::Tuple:
      return value.as_list().size();
    case Value::Kind::Dict:
      return value.as_dict().size();
    case Value::Kind::Undefined:
      return 0;
    case Value::Kind::Object:
      if (value.as_object().has_length()) return value.as_object().length();
      [[fallthrough]];
    default:
      fail("object of type '" + value.type_name() + "' has no len()");
  }
}

}  // namespace wizard::jinja
