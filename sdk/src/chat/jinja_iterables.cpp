#include "chat/jinja_iterables.hpp"

#include <optional>

#include "chat/jinja_python.hpp"

namespace wizard::jinja {

namespace {

class Generator : public Object {
 public:
  Generator(std::string type_name, List items, std::optional<std::string> error)
      : type_name_(std::move(type_name)), items_(std::move(items)), error_(std::move(error)) {}

  std::string type_name() const override { return type_name_; }
  bool is_iterable() const override { return true; }

  List iterate() override {
    if (error_) {
      const std::string message = *error_;
      error_.reset();  // like a generator that raised: exhausted afterwards
      items_.clear();
      fail(message);
    }
    return std::move(items_);  // one pass only
  }

  void repr(std::string& out) const override { out += "<" + type_name_ + " object>"; }

 private:
  std::string type_name_;
  List items_;
  std::optional<std::string> error_;
};

class DictView : public Object {
 public:
  DictView(Value dict, DictViewKind kind) : dict_(std::move(dict)), kind_(kind) {}

  std::string type_name() const override {
    return kind_ == DictViewKind::Keys     ? "dict_keys"
           : kind_ == DictViewKind::Values ? "dict_values"
                                           : "dict_items";
  }
  bool is_iterable() const override { return true; }
  bool has_length() const override { return true; }
  std::size_t length() const override { return dict_.as_dict().size(); }
  bool truthy() const override { return !dict_.as_dict().empty(); }

  List iterate() override { return items(); }

  void repr(std::string& out) const override {
    out += type_name() + "(";
    append_str(out, Value::list(items()));
    out += ")";
  }

 private:
  List items() const {
    List out;
    out.reserve(dict_.as_dict().size());
    for (const auto& [key, value] : dict_.as_dict()) {
      if (kind_ == DictViewKind::Keys) {
        out.push_back(Value::string(key));
      } else if (kind_ == DictViewKind::Values) {
        out.push_back(value);
      } else {
        out.push_back(Value::tuple({Value::string(key), value}));
      }
    }
    return out;
  }

  Value dict_;
  DictViewKind kind_;
};

}  // namespace

Value make_generator(std::string type_name, const std::function<List()>& produce) {
  try {
    return Value::object(
        std::make_shared<Generator>(std::move(type_name), produce(), std::nullopt));
  } catch (const Fault& fault) {
    if (fault.raised_by_template()) throw;
    return Value::object(
        std::make_shared<Generator>(std::move(type_name), List{}, fault.message()));
  }
}

Value make_dict_view(const Value& dict, DictViewKind kind) {
  return Value::object(std::make_shared<DictView>(dict, kind));
}

bool is_generator(const Value& value) {
  return value.is_object() && value.as_object().is_iterable() && !value.as_object().has_length();
}

}  // namespace wizard::jinja
