// Message-list templates (training-wizard's TemplatePreferenceDatasourceSpec):
// a list of {role, content} messages whose content is a Python format string
// filled from a row's columns.
//
//   prompt_template = [{ role = "user", content = "<in>{input}</in>" }]
#pragma once

#include <string>

#include "wizard/base/config.hpp"
#include "wizard/base/export.hpp"
#include "wizard/data/dataset.hpp"

namespace wizard {

class WIZARD_API MessageTemplate {
 public:
  // `messages` is a JSON array of message objects, each with string `role` and
  // `content` (other keys are copied unchanged); `name` appears in messages.
  MessageTemplate(Row messages, std::string name);

  // Reads `key` (an array of tables) from `config`, or uses `fallback` when the
  // key is absent (and records it in the resolved config). A malformed message
  // is a ConfigError pointing at it.
  static MessageTemplate from_config(const Config& config, const std::string& key,
                                     const Row& fallback);

  const Row& messages() const { return messages_; }
  const std::string& name() const { return name_; }

  // The messages with every content filled from `row` (python_format). Errors
  // name `where` (the row's file:line), the message and the missing column.
  Row fill(const Row& row, const std::string& where) const;

 private:
  Row messages_;
  std::string name_;
};

}  // namespace wizard
