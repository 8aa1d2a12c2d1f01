#include "tokenizer/json_view.hpp"

#include "base/utf8.hpp"
#include "wizard/base/error.hpp"

namespace wizard::tokenizer {

void JsonView::fail(const std::string& what) const {
  throw Error(file_ + ": " + (path_.empty() ? std::string("top level") : "'" + path_ + "'") + ": " +
              what);
}

void JsonView::unsupported(const std::string& component, const std::string& type,
                           const std::string& supported) const {
  fail(component + " type \"" + type + "\" is not supported by wizard's tokenizer (supported: " +
       supported + "); use a tokenizer.json without it or add support in sdk/src/tokenizer");
}

bool JsonView::has(const std::string& key) const {
  return value_->is_object() && value_->contains(key) && !(*value_)[key].is_null();
}

JsonView JsonView::at(const std::string& key) const {
  if (!value_->is_object()) fail("expected an object");
  const auto it = value_->find(key);
  if (it == value_->end()) fail("missing key \"" + key + "\"");
  return JsonView(*it, file_, path_.empty() ? key : path_ + "." + key);
}

JsonView JsonView::at(std::size_t index) const {
  return JsonView((*value_)[index], file_, path_ + "[" + std::to_string(index) + "]");
}

std::vector<JsonView> JsonView::items() const {
  if (!value_->is_array()) fail("expected an array");
  std::vector<JsonView> out;
  for (std::size_t i = 0; i < value_->size(); ++i) out.push_back(at(i));
  return out;
}

std::string JsonView::string(const std::string& key) const {
  const JsonView child = at(key);
  if (!child.json().is_string()) child.fail("expected a string");
  return child.json().get<std::string>();
}

std::optional<std::string> JsonView::optional_string(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return string(key);
}

bool JsonView::boolean(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  const JsonView child = at(key);
  if (!child.json().is_boolean()) child.fail("expected true or false");
  return child.json().get<bool>();
}

std::int64_t JsonView::integer(const std::string& key) const {
  const JsonView child = at(key);
  if (!child.json().is_number_integer()) child.fail("expected an integer");
  return child.json().get<std::int64_t>();
}

std::int64_t JsonView::integer(const std::string& key, std::int64_t fallback) const {
  return has(key) ? integer(key) : fallback;
}

char32_t JsonView::character(const std::string& key) const {
  const std::string text = string(key);
  if (text.empty() || utf8::decode(text, 0).length != text.size())
    at(key).fail("expected exactly one character, got \"" + text + "\"");
  return utf8::decode(text, 0).value;
}

}  // namespace wizard::tokenizer
