// Global functions: Jinja's range, dict, namespace and joiner, plus the two
// transformers adds, raise_exception and strftime_now.
#include <ctime>

#include "chat/jinja_builtins.hpp"
#include "chat/jinja_python.hpp"

namespace wizard::jinja {

namespace {

constexpr std::int64_t kMaxRange = 100000;  // the sandbox's MAX_RANGE

// namespace(): the one mutable object, changed with {% set ns.attr = ... %}.
class Namespace : public Object {
 public:
  explicit Namespace(Dict attributes) : attributes_(std::move(attributes)) {}
  std::string type_name() const override { return "Namespace"; }
  bool is_namespace() const override { return true; }
  Value attribute(const std::string& name) const override {
    if (const Value* value = attributes_.find(name)) return *value;
    return Object::attribute(name);
  }
  void set_attribute(const std::string& name, Value value) override {
    attributes_.set(name, std::move(value));
  }
  void repr(std::string& out) const override {
    out += "<Namespace ";
    append_str(out, Value::dict(attributes_));
    out += ">";
  }

 private:
  Dict attributes_;
};

using Function = Value (*)(const Arguments& args);

class BuiltinFunction : public Object {
 public:
  BuiltinFunction(std::string name, Function function)
      : name_(std::move(name)), function_(function) {}
  std::string type_name() const override { return "function"; }
  bool is_callable() const override { return true; }
  Value call(Interpreter&, const Arguments& args) override { return function_(args); }
  void repr(std::string& out) const override { out += "<function " + name_ + ">"; }

 private:
  std::string name_;
  Function function_;
};

// Python dict(*args, **kwargs) for a mapping argument and keywords.
Dict dict_from(const Arguments& args, const char* callee) {
  if (args.positional.size() > 1)
    fail(std::string(callee) + "() expected at most 1 positional argument");
  Dict entries;
  if (!args.positional.empty()) {
    const Value& initial = args.positional.front();
    if (initial.is_dict()) {
      entries = initial.as_dict();
    } else if (initial.is_sequence()) {
      for (const Value& pair : initial.as_list()) {
        if (!pair.is_sequence() || pair.as_list().size() != 2 || !pair.as_list()[0].is_string()) {
          fail(std::string(callee) + "() needs a mapping or (str, value) pairs");
        }
        entries.set(pair.as_list()[0].as_string(), pair.as_list()[1]);
      }
    } else {
      fail(std::string(callee) + "() needs a mapping, not " + initial.type_name());
    }
  }
  for (const auto& [name, value] : args.keywords) entries.set(name, value);
  return entries;
}

Value make_namespace(const Arguments& args) {
  return Value::object(std::make_shared<Namespace>(dict_from(args, "namespace")));
}

Value make_dict(const Arguments& args) {
  return Value::dict(dict_from(args, "dict"));
}

Value range(const Arguments& args) {
  if (!args.keywords.empty()) fail("range() takes no keyword arguments");
  if (args.positional.empty() || args.positional.size() > 3) {
    fail("range expected 1 to 3 arguments, got " + std::to_string(args.positional.size()));
  }
  for (const Value& arg : args.positional) {
    if (!arg.is_integral())
      fail("'" + arg.type_name() + "' object cannot be interpreted as an integer");
  }
  const bool one = args.positional.size() == 1;
  const std::int64_t start = one ? 0 : args.positional[0].as_int();
  const std::int64_t stop = one ? args.positional[0].as_int() : args.positional[1].as_int();
  const std::int64_t step = args.positional.size() == 3 ? args.positional[2].as_int() : 1;
  if (step == 0) fail("range() arg 3 must not be zero");
  const std::int64_t span = step > 0 ? stop - start : start - stop;
  const std::int64_t count = span <= 0 ? 0 : (span - 1) / (step > 0 ? step : -step) + 1;
  if (count > kMaxRange) {
    fail("Range too big. The sandbox blocks ranges larger than MAX_RANGE (" +
         std::to_string(kMaxRange) + ").");
  }
  List items;
  items.reserve(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) items.push_back(Value::integer(start + i * step));
  return Value::list(std::move(items));
}

// transformers: raise TemplateError(message); the template's own words reach the user.
Value raise_exception(const Arguments& args) {
  const BoundArguments bound("raise_exception", args, {"message"}, 1);
  throw Fault(to_str(bound.get(0)), /*raised_by_template=*/true);
}

// transformers: datetime.now().strftime(format), in local time.
Value strftime_now(const Arguments& args) {
  const BoundArguments bound("strftime_now", args, {"format"}, 1);
  const std::string format = to_str(bound.get(0));
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  std::string out(256, '\0');
  std::size_t written = 0;
  while ((written = std::strftime(out.data(), out.size(), format.c_str(), &local)) == 0 &&
         !format.empty() && out.size() < 65536) {
    out.resize(out.size() * 2);
  }
  out.resize(written);
  return Value::string(std::move(out));
}

// joiner(sep): a callable that returns "" the first time and `sep` after.
class Joiner : public Object {
 public:
  explicit Joiner(std::string separator) : separator_(std::move(separator)) {}
  std::string type_name() const override { return "Joiner"; }
  bool is_callable() const override { return true; }
  Value call(Interpreter&, const Arguments&) override {
    if (!used_) {
      used_ = true;
      return Value::string("");
    }
    return Value::string(separator_);
  }

 private:
  std::string separator_;
  bool used_ = false;
};

Value make_joiner(const Arguments& args) {
  const BoundArguments bound("joiner", args, {"sep"});
  return Value::object(std::make_shared<Joiner>(bound.has(0) ? to_str(bound.get(0)) : ", "));
}

struct GlobalEntry {
  const char* name;
  Function function;
};

constexpr GlobalEntry kGlobals[] = {
    {"range", range},
    {"dict", make_dict},
    {"namespace", make_namespace},
    {"joiner", make_joiner},
    {"raise_exception", raise_exception},
    {"strftime_now", strftime_now},
};

}  // namespace

Value find_global(const std::string& name) {
  // Built once; the function objects are immutable, so renders may share them.
  static const std::vector<std::pair<std::string, Value>> globals = [] {
    std::vector<std::pair<std::string, Value>> table;
    for (const auto& entry : kGlobals) {
      table.emplace_back(
          entry.name, Value::object(std::make_shared<BuiltinFunction>(entry.name, entry.function)));
    }
    return table;
  }();
  for (const auto& [key, value] : globals) {
    if (key == name) return value;
  }
  if (name == "cycler" || name == "lipsum") {
    return Value::undefined("the global '" + name +
                            "' is not supported by wizard's chat template engine");
  }
  return Value::undefined("'" + name + "' is undefined");
}

}  // namespace wizard::jinja
