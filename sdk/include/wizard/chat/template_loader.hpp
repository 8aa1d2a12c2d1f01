// Finding a model's chat templates the way transformers' tokenizer does:
// tokenizer_config.json's `chat_template` (one string, or a list of
// {"name", "template"}), replaced by chat_template.jinja when that file exists,
// plus named templates in additional_chat_templates/*.jinja. Models without a
// template get wizard's built-in ChatML template and a logged warning.
//
//   auto templates = wizard::load_chat_templates("models/qwen3");
//   std::string text = templates.apply(messages, options);
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/chat/apply_chat_template.hpp"
#include "wizard/chat/chat_template.hpp"

namespace wizard {

struct WIZARD_API ModelChatTemplates {
  std::vector<ChatTemplate> templates;  // unique names; "default" unless the model names them
  // The tokenizer's special_tokens_map: the variables transformers passes to
  // every template (bos_token, eos_token, ..., additional_special_tokens).
  nlohmann::ordered_json special_tokens = nlohmann::ordered_json::object();
  // Template variables every apply() passes unless the call sets them too
  // (training-wizard's transformer_spec.apply_chat_template_kwargs).
  nlohmann::ordered_json default_template_kwargs = nlohmann::ordered_json::object();
  std::string origin;    // where the templates came from, for messages
  bool builtin = false;  // the folder had none; `templates` holds wizard's ChatML

  // transformers' choice: the named template; with no name, "tool_use" when
  // tools are given and the model has one, else "default". Throws
  // wizard::Error naming the available templates when there is no match.
  const ChatTemplate& select(const std::string& name = "", bool with_tools = false) const;

  // apply_chat_template() with this model's special tokens and selected template.
  std::string apply(const nlohmann::ordered_json& messages, const ChatOptions& options = {},
                    const std::string& template_name = "") const;
};

// Reads `model_dir` (a folder with tokenizer_config.json and/or
// chat_template.jinja). Throws wizard::Error for unreadable or malformed
// files and ChatTemplateError for templates that do not parse.
WIZARD_API ModelChatTemplates load_chat_templates(const std::filesystem::path& model_dir);

// transformers' special_tokens_map from a tokenizer_config.json object: the
// set special tokens (strings or AddedToken objects) as strings, in
// transformers' order, leaving out null and empty ones.
WIZARD_API nlohmann::ordered_json special_tokens_map(
    const nlohmann::ordered_json& tokenizer_config);

// The ChatML template used for models without one.
WIZARD_API const std::string& chatml_template_source();

}  // namespace wizard
