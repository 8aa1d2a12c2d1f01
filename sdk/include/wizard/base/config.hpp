// Config: a typed, strict view of one table of the configuration.
//
// Plugins read their options through it: typed getters with defaults, errors
// that name the key path, the file and line, the expected and the actual type.
// Every default a getter returns is recorded, so the host can write the
// resolved configuration (defaults filled, overrides applied) to the run folder.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "wizard/base/config_value.hpp"
#include "wizard/base/export.hpp"

namespace wizard {

// One documented option of a plugin: what `wizard help NAME` prints, and the set
// of keys the plugin's table accepts. Nested tables use dotted names
// ("preprocessing.take"); an option of type "table" without dotted children is
// passed through unchecked (another plugin validates it).
struct WIZARD_API OptionDoc {
  std::string name;
  std::string type;           // "int", "float", "bool", "string", "list[string]", "table", ...
  std::string default_value;  // as a user would write it; "" when required or computed
  std::string help;           // one line
};
using OptionDocs = std::vector<OptionDoc>;

class WIZARD_API Config {
 public:
  // An empty root table.
  Config();
  // The root of a new document built from a parsed tree (a table).
  explicit Config(ConfigValue root);

  // Dotted key path of this table from the root ("" at the root, "dataset_spec.parent").
  std::string path() const;
  // The key path of `key` inside this table.
  std::string key_path(const std::string& key) const;
  // Where this table (or one of its keys) was written; the file alone when absent.
  SourceLocation location() const;
  SourceLocation location(const std::string& key) const;

  bool exists() const { return node_ != nullptr; }  // false for a view of an absent table
  // What the document says: keys() and find() never see the defaults below.
  bool has(const std::string& key) const { return find(key) != nullptr; }
  std::vector<std::string> keys() const;
  const ConfigValue* find(const std::string& key) const;

  // The same view with a second table of defaults (values of this table's keys): how a recipe
  // passes the defaults of its config schema to a plugin it creates. get(), optional() and
  // require() take a key from the document, else from `defaults`, else their own fallback;
  // has(), find() and keys() still see only the document, so a plugin can tell a key the user
  // set from a default. Sub-tables see the matching sub-table of `defaults`. A default a getter
  // returns is recorded in the resolved document like any other.
  Config with_defaults(ConfigValue defaults) const;
  // The default `key` has in this view, or nullptr.
  const ConfigValue* find_default(const std::string& key) const;

  // Typed getters. T is one of bool, int, std::int64_t, double, std::string,
  // std::vector<std::string>, std::vector<std::int64_t>, std::vector<double>.
  // An integer is accepted where a float is asked for; nothing else converts.
  // Floats must be finite: nan and inf are refused for every key.
  template <class T>
  T get(const std::string& key, const T& fallback) const;
  std::string get(const std::string& key, const char* fallback) const {
    return get<std::string>(key, std::string(fallback));
  }
  template <class T>
  T require(const std::string& key) const;
  template <class T>
  std::optional<T> optional(const std::string& key) const;

  // Numbers within bounds: get<double>/get<int64_t> and then check_range, the way to read
  // every numeric option. The message names the key path, the allowed range and the value.
  double get_number(const std::string& key, double fallback, double min, double max) const;
  std::int64_t get_int(const std::string& key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max) const;
  // The checks alone, for values read or derived otherwise: a ConfigError pointing at `key`
  // unless min <= value <= max (and, for floats, value is finite).
  void check_range(const std::string& key, double value, double min, double max) const;
  void check_int_range(const std::string& key, std::int64_t value, std::int64_t min,
                       std::int64_t max) const;

  // A sub-table (an absent one gives an empty view whose defaults are still recorded).
  Config table(const std::string& key) const;
  // An array of tables (`[[x]]` or `x = [{...}, {...}]`); empty when absent.
  std::vector<Config> tables(const std::string& key) const;

  // Strict key check against the documented options: an unknown key is a
  // ConfigError naming its key path, file and line, and the nearest valid key.
  // `spec_class` is always accepted (it names the plugin).
  void check_keys(const OptionDocs& options) const;

  // Throws ConfigError pointing at `key` (or at this table when key is empty).
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

  // Records a value in the resolved document (for values a plugin derives).
  void record(const std::string& key, ConfigValue value) const;
  // The whole resolved document: the source with defaults and records filled in.
  const ConfigValue& resolved() const;
  // The whole source document, as parsed (after overrides).
  const ConfigValue& source() const;

 private:
  struct Document;
  using PathElement = std::variant<std::string, std::size_t>;

  Config(std::shared_ptr<Document> document, std::vector<PathElement> path,
         const ConfigValue* node);
  ConfigValue* resolved_node(bool create) const;
  void record_default(const std::string& key, ConfigValue value) const;
  // The document's value of `key`, else its default (nullptr when neither).
  const ConfigValue* find_value(const std::string& key) const;

  std::shared_ptr<Document> document_;
  std::vector<PathElement> path_;
  const ConfigValue* node_ = nullptr;
  // with_defaults(): the whole defaults tree (kept alive) and this view's table in it.
  std::shared_ptr<const ConfigValue> defaults_root_;
  const ConfigValue* defaults_ = nullptr;
};

// Explicit instantiations live in the SDK.
#define WIZARD_CONFIG_DECLARE(T)                                                   \
  extern template WIZARD_API T Config::get<T>(const std::string&, const T&) const; \
  extern template WIZARD_API T Config::require<T>(const std::string&) const;       \
  extern template WIZARD_API std::optional<T> Config::optional<T>(const std::string&) const;
WIZARD_CONFIG_DECLARE(bool)
WIZARD_CONFIG_DECLARE(int)
WIZARD_CONFIG_DECLARE(std::int64_t)
WIZARD_CONFIG_DECLARE(double)
WIZARD_CONFIG_DECLARE(std::string)
WIZARD_CONFIG_DECLARE(std::vector<std::string>)
WIZARD_CONFIG_DECLARE(std::vector<std::int64_t>)
WIZARD_CONFIG_DECLARE(std::vector<double>)
#undef WIZARD_CONFIG_DECLARE

}  // namespace wizard
