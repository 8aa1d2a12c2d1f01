#include "chat/jinja_value.hpp"

#include "chat/jinja_python.hpp"

namespace wizard::jinja {

const Value* Dict::find(std::string_view key) const {
  for (const auto& entry : entries_) {
    if (entry.first == key) return &entry.second;
  }
  return nullptr;
}

void Dict::set(std::string key, Value value) {
  for (auto& entry : entries_) {
    if (entry.first == key) {
      entry.second = std::move(value);
      return;
    }
  }
  entries_.emplace_back(std::move(key), std::move(value));
}

Value Value::undefined(std::string hint) {
  Value v;
  if (!hint.empty()) v.shared_ = std::make_shared<std::string>(std::move(hint));
  return v;
}

Value Value::none() {
  Value v;
  v.kind_ = Kind::None;
  return v;
}

Value Value::boolean(bool value) {
  Value v;
  v.kind_ = Kind::Bool;
  v.bool_ = value;
  return v;
}

Value Value::integer(std::int64_t value) {
  Value v;
  v.kind_ = Kind::Int;
  v.int_ = value;
  return v;
}

Value Value::real(double value) {
  Value v;
  v.kind_ = Kind::Float;
  v.float_ = value;
  return v;
}

Value Value::string(std::string value) {
  Value v;
  v.kind_ = Kind::String;
  v.shared_ = std::make_shared<std::string>(std::move(value));
  return v;
}

Value Value::list(List items) {
  Value v;
  v.kind_ = Kind::List;
  v.shared_ = std::make_shared<List>(std::move(items));
  return v;
}

Value Value::tuple(List items) {
  Value v = list(std::move(items));
  v.kind_ = Kind::Tuple;
  return v;
}

Value Value::dict(Dict entries) {
  Value v;
  v.kind_ = Kind::Dict;
  v.shared_ = std::make_shared<Dict>(std::move(entries));
  return v;
}

Value Value::object(std::shared_ptr<Object> object) {
  Value v;
  v.kind_ = Kind::Object;
  v.shared_ = std::move(object);
  return v;
}

double Value::as_float() const {
  switch (kind_) {
    case Kind::Float:
      return float_;
    case Kind::Int:
      return static_cast<double>(int_);
    case Kind::Bool:
      return bool_ ? 1.0 : 0.0;
    default:
      return 0.0;
  }
}

const std::string& Value::as_string() const {
  return *static_cast<const std::string*>(shared_.get());
}

const List& Value::as_list() const {
  return *static_cast<const List*>(shared_.get());
}

const Dict& Value::as_dict() const {
  return *static_cast<const Dict*>(shared_.get());
}

Object& Value::as_object() const {
  return *static_cast<Object*>(shared_.get());
}

const std::string& Value::undefined_hint() const {
  static const std::string kNoHint = "value is undefined";
  return shared_ ? *static_cast<const std::string*>(shared_.get()) : kNoHint;
}

bool Value::truthy() const {
  switch (kind_) {
    case Kind::Undefined:
    case Kind::None:
      return false;
    case Kind::Bool:
      return bool_;
    case Kind::Int:
      return int_ != 0;
    case Kind::Float:
      return float_ != 0.0;
    case Kind::String:
      return !as_string().empty();
    case Kind::List:
    case Kind::Tuple:
      return !as_list().empty();
    case Kind::Dict:
      return !as_dict().empty();
    case Kind::Object:
      return as_object().truthy();
  }
  return false;
}

std::string Value::type_name() const {
  switch (kind_) {
    case Kind::Undefined:
      return "Undefined";
    case Kind::None:
      return "NoneType";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "str";
    case Kind::List:
      return "list";
    case Kind::Tuple:
      return "tuple";
    case Kind::Dict:
      return "dict";
    case Kind::Object:
      return as_object().type_name();
  }
  return "object";
}

bool Value::same_as(const Value& other) const {
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case Kind::Undefined:
    case Kind::None:
      return true;
    case Kind::Bool:
      return bool_ == other.bool_;
    // CPython caches small ints, so `1 is 1` holds; larger ones are not worth modelling.
    case Kind::Int:
      return int_ == other.int_;
    case Kind::Float:
      return false;
    default:
      return shared_ == other.shared_;
  }
}

BoundArguments::BoundArguments(std::string_view callee, const Arguments& args,
                               std::vector<std::string_view> params, std::size_t required)
    : values_(params.size(), nullptr) {
  if (args.positional.size() > params.size()) {
    fail(std::string(callee) + "() takes at most " + std::to_string(params.size()) +
         " argument(s) (" + std::to_string(args.positional.size()) + " given)");
  }
  for (std::size_t i = 0; i < args.positional.size(); ++i) values_[i] = &args.positional[i];
  for (const auto& [name, value] : args.keywords) {
    std::size_t index = 0;
    while (index < params.size() && params[index] != name) ++index;
    if (index == params.size()) {
      fail(std::string(callee) + "() got an unexpected keyword argument '" + name + "'");
    }
    if (values_[index]) {
      fail(std::string(callee) + "() got multiple values for argument '" + name + "'");
    }
    values_[index] = &value;
  }
  for (std::size_t i = 0; i < required; ++i) {
    if (!values_[i]) {
      fail(std::string(callee) + "() missing required argument '" + std::string(params[i]) + "'");
    }
  }
}

const Value& BoundArguments::get(std::size_t index) const {
  static const Value kAbsent;
  return values_[index] ? *values_[index] : kAbsent;
}

Value BoundArguments::get_or(std::size_t index, Value fallback) const {
  return values_[index] ? *values_[index] : std::move(fallback);
}

Object::~Object() = default;

Value Object::attribute(const std::string& name) const {
  return Value::undefined("'" + type_name() + " object' has no attribute '" + name + "'");
}

void Object::set_attribute(const std::string&, Value) {
  fail("cannot assign attribute on non-namespace object");
}

Value Object::call(Interpreter&, const Arguments&) {
  fail("'" + type_name() + "' object is not callable");
}

void Object::repr(std::string& out) const {
  out += "<" + type_name() + " object>";
}

List Object::iterate() {
  fail("'" + type_name() + "' object is not iterable");
}

void fail(std::string message) {
  throw Fault(std::move(message));
}

void fail_undefined(const Value& value) {
  throw Fault(value.undefined_hint());
}

}  // namespace wizard::jinja
