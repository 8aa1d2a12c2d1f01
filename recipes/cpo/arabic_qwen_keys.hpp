// Every key of the arabic-qwen CPOConfig schema in one table: its section, type and the
// document's default, and what it becomes in the cpo recipe's schema (transformer_spec,
// dataset_spec, validation, training_args_spec with TRL's names). The table drives the
// whole translation: the key check of each section, reading with defaults, the overlapping
// names, the values refused or noted, the features of other issues, and the message for a
// key whose recipe feature this build lacks. Keys read together with others (the data
// files, the row limits, the loss type, ...) name the rule that reads them
// (arabic_qwen_rules.hpp). docs/config.md documents the same table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "schema_section.hpp"
#include "schema_translation.hpp"
#include "wizard/base/config.hpp"

namespace wizard::cpo::arabic_qwen {

class KeyReader;
using Rule = void (*)(KeyReader&);

enum class Action {
  // The value, written or the document's default, goes to `targets` — unless it equals
  // `recipe_default`, the recipe's own default: then nothing is passed on, so that a build
  // whose recipe lacks the key still runs a config that leaves it at that value.
  Set,
  // Another name of the Set key with the same target (cpo.cpo_beta for cpo.beta): either
  // one sets it; both written with different values is a problem naming both.
  Alias,
  // A loss option: a written value goes to the target; the document's default goes to the
  // loss as a default (Config::with_defaults), not as a key the user set.
  LossOption,
  // wizard does what the default asks; any other value is refused (`why`).
  OnlyDefault,
  // Accepted and changes nothing; a value other than the default is noted (`why`).
  Inert,
  // Read with other keys by `rule`.
  ByRule,
  // A setting of a feature another open issue delivers (`feature`, `issue`).
  Pending,
};

struct SchemaKey {
  std::string path;                                  // "training.batch_size"
  ConfigValue::Kind kind = ConfigValue::Kind::Null;  // Bool, Integer, Float, String, Table
  ConfigValue fallback;                              // the document's default (null: None)
  Action action = Action::Set;
  std::vector<std::string> targets;  // "training_args_spec.per_device_train_batch_size", ...
  std::optional<ConfigValue> recipe_default;  // Set: not passed on at this value
  std::int64_t at_least = 0;                  // Set (integers): the smallest valid value
  std::string why;         // OnlyDefault, Inert: what to do / why; Set/Alias: what it sets
  Rule rule = nullptr;     // ByRule
  std::string feature;     // Pending: "LoRA adapters"; Set: issue 10's recipe feature
  std::string issue;       // Pending: "issue 13"
  bool is_switch = false;  // Pending: the key that asks for the feature
  std::string instead;     // Set with `feature`: what to do while the recipe lacks it

  std::string section() const { return path.substr(0, path.find('.')); }
  std::string name() const { return path.substr(path.find('.') + 1); }
};

// The whole schema, in the document's order.
const std::vector<SchemaKey>& schema_keys();
// The row of `path` ("cpo.beta"); throws for a path not in the table.
const SchemaKey& schema_key(const std::string& path);
// The row whose value went to `target` ("training_args_spec.beta" -> cpo.beta's row, when the
// user wrote cpo.beta); nullptr when none.
const SchemaKey* key_of(const SourceKey& from);
// The sections, in order.
const std::vector<std::string>& section_names();

// Reads the keys of a config by their rows (type, default), recording defaults in the
// resolved config; problems go to `out`.
class KeyReader {
 public:
  KeyReader(const Config& root, SchemaTranslation& out);

  SchemaTranslation& out;
  bool written(const std::string& path) const;
  SourceValue read(const std::string& path);
  SchemaSection& section(const std::string& name);

 private:
  std::vector<std::pair<std::string, SchemaSection>> sections_;
};

// Translates every key of `root` into `out`; returns the schema's defaults of the loss
// options (a table for Config::with_defaults).
ConfigValue translate_keys(const Config& root, SchemaTranslation& out);

// Numbers compare by value (1 == 1.0); other kinds must match; an empty table is null.
bool same_value(const ConfigValue& a, const ConfigValue& b);

}  // namespace wizard::cpo::arabic_qwen
