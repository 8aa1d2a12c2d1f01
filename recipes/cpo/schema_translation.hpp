// Building a config in the cpo recipe's own schema (transformer_spec, dataset_spec,
// validation, training_args_spec) from a config written in another schema, so that the rest
// of the recipe is shared. Two things make it more than copying values:
//
//   - every value keeps where the user wrote it: a translated value's location reads
//     "config.yaml:8:15 (training.batch_size)", so any later error about
//     training_args_spec.per_device_train_batch_size still points at the user's file, line
//     and key; a value the schema filled in reads "config.yaml (default of cpo.beta)";
//   - problems are collected, not thrown one by one, so a single run lists every refused key.
#pragma once

#include <string>
#include <vector>

#include "wizard/base/config.hpp"

namespace wizard::cpo {

// The user's key a translated value comes from.
struct SourceKey {
  std::string path;      // as the user's schema names it: "training.batch_size"
  SourceLocation where;  // where it was written; for a default, the config file alone
  bool written = false;  // false: the value is the schema's default
};

// A value of the user's schema as read: the value (written, or the default) and its key.
struct SourceValue {
  ConfigValue value;
  SourceKey from;
};

class SchemaTranslation {
 public:
  // `file`: the config file (tables created here point at it, so relative data paths are
  // also looked up beside it).
  explicit SchemaTranslation(std::string file);

  const std::string& file() const { return file_; }

  // Sets the dotted `target` path of the new tree ("training_args_spec.learning_rate"),
  // creating tables on the way; the value is located at its source key.
  void set(const std::string& target, const SourceValue& value);
  void set(const std::string& target, ConfigValue value, const SourceKey& from);
  void erase(const std::string& target);
  const ConfigValue* find(const std::string& target) const;
  // The source of a value set at `target` (nullptr when nothing was set there).
  const SourceKey* source_of(const std::string& target) const;
  // The targets set so far, in order.
  std::vector<std::string> targets() const;

  // A problem the user must fix, written as a whole line ("where: key = value: what to do").
  void problem(std::string message);
  // A problem about one source key: "<where>: <key> = <value>: <message>".
  void problem(const SourceValue& value, const std::string& message);
  // A note for the log (info), e.g. a key that is accepted but changes nothing.
  void note(std::string message);
  const std::vector<std::string>& problems() const { return problems_; }
  const std::vector<std::string>& notes() const { return notes_; }

  // Throws one ConfigError listing every problem, when there is one; `what` names the config.
  void throw_problems(const std::string& what) const;

  // The new tree (a table located at the config file).
  const ConfigValue& tree() const { return tree_; }

 private:
  void erase_source(const std::string& target);

  std::string file_;
  ConfigValue tree_;
  std::vector<std::pair<std::string, SourceKey>> sources_;
  std::vector<std::string> problems_;
  std::vector<std::string> notes_;
};

// Where a translated value says it comes from (see the file comment).
SourceLocation translated_location(const SourceKey& from, const std::string& file);

// A scalar as a user would write it in a message: true, 0.1, "text", null.
std::string written_value(const ConfigValue& value);

}  // namespace wizard::cpo
