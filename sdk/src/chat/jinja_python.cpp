#include "chat/jinja_python.hpp"

#include "base/python_repr.hpp"

namespace wizard::jinja {

namespace {

void append_sequence(std::string& out, const List& items, char open, char close, bool tuple) {
  out += open;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    append_repr(out, items[i]);
  }
  if (tuple && items.size() == 1) out += ',';
  out += close;
}

}  // namespace

void append_str(std::string& out, const Value& value) {
  switch (value.kind()) {
    case Value::Kind::Undefined:
      return;
    case Value::Kind::None:
      out += "None";
      return;
    case Value::Kind::Bool:
      out += value.as_bool() ? "True" : "False";
      return;
    case Value::Kind::Int:
      out += std::to_string(value.as_int());
      return;
    case Value::Kind::Float:
      out += python::float_repr(value.as_float());
      return;
    case Value::Kind::String:
      out += value.as_string();
      return;
    case Value::Kind::List:
      append_sequence(out, value.as_list(), '[', ']', false);
      return;
    case Value::Kind::Tuple:
      append_sequence(out, value.as_list(), '(', ')', true);
      return;
    case Value::Kind::Dict: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : value.as_dict()) {
        if (!first) out += ", ";
        first = false;
        python::append_str_repr(out, key);
        out += ": ";
        append_repr(out, item);
      }
      out += '}';
      return;
    }
    case Value::Kind::Object:
      value.as_object().repr(out);
      return;
  }
}

std::string to_str(const Value& value) {
  if (value.is_string()) return value.as_string();
  std::string out;
  append_str(out, value);
  return out;
}

void append_repr(std::string& out, const Value& value) {
  if (value.is_string()) {
    python::append_str_repr(out, value.as_string());
  } else if (value.is_undefined()) {
    out += "Undefined";
  } else {
    append_str(out, value);
  }
}

}  // namespace wizard::jinja
