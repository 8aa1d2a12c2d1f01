#include "wizard/generation/prompt.hpp"

#include "wizard/base/error.hpp"
#include "wizard/data/trl_preference.hpp"

namespace wizard::generation {

std::string prompt_text(const Row& prompt, const ModelChatTemplates& templates) {
  if (prompt.is_string()) return prompt.get<std::string>();
  if (!is_conversational(prompt)) {
    throw Error(std::string("a prompt must be a string or a non-empty list of {role, content} "
                            "messages, got ") +
                prompt.type_name() + ": " + prompt.dump().substr(0, 80));
  }
  for (const auto& message : prompt) {
    if (!message.is_object() || !message.contains("role")) {
      throw Error("a conversation's messages must each be an object with a \"role\"");
    }
  }
  const Row& role = prompt.back()["role"];
  ChatOptions options;
  if (role == "assistant") {
    options.continue_final_message = true;
  } else if (role == "system") {
    throw Error("the conversation ends with a system message: add the user's message to answer");
  } else {
    options.add_generation_prompt = true;
  }
  return templates.apply(prompt, options);
}

std::vector<std::int32_t> prompt_ids(const std::string& text, const Tokenizer& tokenizer) {
  std::vector<std::int32_t> ids = tokenizer.encode(text, /*add_special_tokens=*/false);
  const auto bos = tokenizer.bos_token_id();
  if (bos && (ids.empty() || ids.front() != *bos)) ids.insert(ids.begin(), *bos);
  return ids;
}

}  // namespace wizard::generation
