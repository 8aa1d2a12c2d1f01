// The values a template computes with: Python's None, bool, int, float, str,
// list, tuple and dict, Jinja's Undefined, and objects (namespace, loop,
// callables). Strings, lists and dicts are immutable and shared, so copying a
// Value is cheap; only namespaces change in place, as in the sandbox.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wizard::jinja {

class Value;
class Dict;
class Object;
class Interpreter;

using List = std::vector<Value>;

class Value {
 public:
  enum class Kind : std::uint8_t {
    Undefined,
    None,
    Bool,
    Int,
    Float,
    String,
    List,
    Tuple,
    Dict,
    Object
  };

  Value() noexcept : kind_(Kind::Undefined), int_(0) {}

  // `hint` is what using the value reports, e.g. "'x' is undefined".
  static Value undefined(std::string hint);
  static Value none();
  static Value boolean(bool value);
  static Value integer(std::int64_t value);
  static Value real(double value);
  static Value string(std::string value);
  static Value list(List items);
  static Value tuple(List items);
  static Value dict(Dict entries);
  static Value object(std::shared_ptr<Object> object);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::Undefined; }
  bool is_none() const { return kind_ == Kind::None; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_float() const { return kind_ == Kind::Float; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_dict() const { return kind_ == Kind::Dict; }
  bool is_object() const { return kind_ == Kind::Object; }
  bool is_sequence() const { return kind_ == Kind::List || kind_ == Kind::Tuple; }
  // Python's numbers.Number: bool counts, as it is an int subclass.
  bool is_number() const {
    return kind_ == Kind::Int || kind_ == Kind::Float || kind_ == Kind::Bool;
  }
  // int or bool (Python's isinstance(x, int)).
  bool is_integral() const { return kind_ == Kind::Int || kind_ == Kind::Bool; }

  bool as_bool() const { return bool_; }
  std::int64_t as_int() const { return kind_ == Kind::Bool ? (bool_ ? 1 : 0) : int_; }
  double as_float() const;  // int, bool or float as a double
  const std::string& as_string() const;
  const List& as_list() const;  // list or tuple
  const Dict& as_dict() const;
  Object& as_object() const;
  const std::string& undefined_hint() const;

  bool truthy() const;
  // Python's type name, for messages: "str", "int", "list", "NoneType", ...
  std::string type_name() const;
  // Whether two values are the same object (Jinja's `sameas`).
  bool same_as(const Value& other) const;

 private:
  Kind kind_;
  union {
    bool bool_;
    std::int64_t int_;
    double float_;
  };
  std::shared_ptr<void> shared_;  // string, list, dict, object or undefined hint
};

// Defined after Value: std::pair<std::string, Value> needs a complete Value (clang in
// C++20 instantiates it with the inline members).
// A dict with string keys that keeps insertion order, like Python's.
class Dict {
 public:
  using Entry = std::pair<std::string, Value>;

  const Value* find(std::string_view key) const;
  void set(std::string key, Value value);  // replaces in place or appends
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  void reserve(std::size_t n) { entries_.reserve(n); }
  std::vector<Entry>::const_iterator begin() const { return entries_.begin(); }
  std::vector<Entry>::const_iterator end() const { return entries_.end(); }

 private:
  std::vector<Entry> entries_;
};

// Arguments of a call, filter or test, in Python's two groups.
struct Arguments {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keywords;
};

// Binds Arguments to a callee's parameter list as Python does and reports
// surplus, unknown or missing arguments by the callee's name.
class BoundArguments {
 public:
  BoundArguments(std::string_view callee, const Arguments& args,
                 std::vector<std::string_view> params, std::size_t required = 0);
  bool has(std::size_t index) const { return values_[index] != nullptr; }
  const Value& get(std::size_t index) const;  // undefined when absent
  Value get_or(std::size_t index, Value fallback) const;

 private:
  std::vector<const Value*> values_;
};

// Namespaces, loop state, functions, macros: anything with attributes or a call.
class Object {
 public:
  virtual ~Object();
  virtual std::string type_name() const = 0;
  virtual Value attribute(const std::string& name) const;
  virtual void set_attribute(const std::string& name, Value value);
  virtual bool is_callable() const { return false; }
  virtual Value call(Interpreter& interpreter, const Arguments& args);
  virtual bool is_namespace() const { return false; }
  virtual void repr(std::string& out) const;
  virtual bool truthy() const { return true; }
  // Python iteration for iterable objects (generators, dict views); a
  // generator is used up by it.
  virtual bool is_iterable() const { return false; }
  virtual List iterate();
  // Python len(), for objects that have one.
  virtual bool has_length() const { return false; }
  virtual std::size_t length() const { return 0; }
};

// A template-level failure. `offset` is set by the innermost template node
// that sees it, so the message can name the line and column.
class Fault : public std::exception {
 public:
  explicit Fault(std::string message, bool raised_by_template = false)
      : message_(std::move(message)), raised_by_template_(raised_by_template) {}
  const char* what() const noexcept override { return message_.c_str(); }
  const std::string& message() const { return message_; }
  bool raised_by_template() const { return raised_by_template_; }
  bool has_offset() const { return offset_ != kNoOffset; }
  std::size_t offset() const { return offset_; }
  void set_offset(std::size_t offset) { offset_ = offset; }

 private:
  static constexpr std::size_t kNoOffset = static_cast<std::size_t>(-1);
  std::string message_;
  bool raised_by_template_;
  std::size_t offset_ = kNoOffset;
};

[[noreturn]] void fail(std::string message);

// Using an undefined value for anything but printing, testing or iterating.
[[noreturn]] void fail_undefined(const Value& value);

}  // namespace wizard::jinja
