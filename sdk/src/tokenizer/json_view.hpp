// Read access to one node of a tokenizer.json with errors that name the file,
// the key path and what was expected.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace wizard::tokenizer {

class JsonView {
 public:
  JsonView(const nlohmann::json& value, std::string file, std::string path)
      : value_(&value), file_(std::move(file)), path_(std::move(path)) {}

  const nlohmann::json& json() const { return *value_; }
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }

  bool has(const std::string& key) const;     // present and not null
  JsonView at(const std::string& key) const;  // must be present
  JsonView at(std::size_t index) const;
  std::vector<JsonView> items() const;  // elements of an array

  std::string string(const std::string& key) const;
  std::optional<std::string> optional_string(const std::string& key) const;
  bool boolean(const std::string& key, bool fallback) const;
  std::int64_t integer(const std::string& key) const;
  std::int64_t integer(const std::string& key, std::int64_t fallback) const;
  // A string field holding exactly one character (Metaspace replacement, Strip content).
  char32_t character(const std::string& key) const;
  // The component type ("type" key).
  std::string type() const { return string("type"); }

  [[noreturn]] void fail(const std::string& what) const;
  [[noreturn]] void unsupported(const std::string& component, const std::string& type,
                                const std::string& supported) const;

 private:
  const nlohmann::json* value_;
  std::string file_;
  std::string path_;
};

// The components of a Sequence: `make(item)` for each element of `list`, nulls dropped.
template <class Component, class Make>
std::vector<std::unique_ptr<Component>> make_each(const JsonView& list, Make&& make) {
  std::vector<std::unique_ptr<Component>> out;
  for (const JsonView& item : list.items())
    if (auto component = make(item)) out.push_back(std::move(component));
  return out;
}

}  // namespace wizard::tokenizer
