// transformers' apply_chat_template(tokenize=False): render a conversation
// with a chat template, the special-token variables and any extra template
// variables, and optionally cut the text after the final message so a model
// continues it (continue_final_message).
//
//   wizard::ChatOptions options;
//   options.add_generation_prompt = true;
//   options.template_kwargs = {{"enable_thinking", false}};
//   std::string prompt = wizard::apply_chat_template(tmpl, messages, options, special_tokens);
#pragma once

#include <nlohmann/json.hpp>

#include "wizard/base/export.hpp"
#include "wizard/chat/chat_template.hpp"

namespace wizard {

struct ChatOptions {
  // Append the header that starts an assistant turn.
  bool add_generation_prompt = false;
  // Render, then cut right after the final message's content, so nothing
  // (no end-of-turn token) follows it. Incompatible with add_generation_prompt.
  bool continue_final_message = false;
  // null, or a list of JSON schemas of tools (the `tools` variable).
  nlohmann::ordered_json tools = nullptr;
  // null, or a list of documents as objects (the `documents` variable).
  nlohmann::ordered_json documents = nullptr;
  // Extra template variables, e.g. {"enable_thinking": false}. They override
  // special tokens of the same name, as transformers' kwargs do.
  nlohmann::ordered_json template_kwargs = nlohmann::ordered_json::object();
};

// `messages` is a list of {"role", "content", ...} objects; `special_tokens`
// an object such as {"bos_token": "<s>", "eos_token": "</s>"} (see
// special_tokens_map() in template_loader.hpp). Throws wizard::Error (or
// ChatTemplateError from the template) with transformers' conditions.
WIZARD_API std::string apply_chat_template(
    const ChatTemplate& chat_template, const nlohmann::ordered_json& messages,
    const ChatOptions& options = {},
    const nlohmann::ordered_json& special_tokens = nlohmann::ordered_json::object());

}  // namespace wizard
