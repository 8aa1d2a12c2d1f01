// TRL's maybe_apply_chat_template / apply_chat_template for preference rows.
#include "base/utf8.hpp"
#include "wizard/data/trl_preference.hpp"

namespace wizard {

namespace {

const Row& column(const Row& row, const char* name) {
  const auto it = row.find(name);
  if (it == row.end()) {
    throw Error(std::string("the row has no '") + name + "' column after prompt extraction");
  }
  return *it;
}

Row concatenated(const Row& first, const Row& second) {
  Row out = first;
  for (const auto& message : second) out.push_back(message);
  return out;
}

// "".join(takewhile(equal, zip(a, b))): the shared start of two texts, by character.
std::string shared_start(const std::string& a, const std::string& b) {
  std::size_t length = 0;
  while (length < a.size() && length < b.size() && a[length] == b[length]) ++length;
  // A difference inside a multi-byte character: the shared bytes of that character are not a
  // shared character.
  const auto inside = [&](const std::string& text) {
    return length < text.size() && utf8::is_continuation(static_cast<unsigned char>(text[length]));
  };
  while (length > 0 && (inside(a) || inside(b))) --length;
  return a.substr(0, length);
}

void check_messages(const Row& messages, const char* name) {
  for (const auto& message : messages) {
    if (!message.is_object() || !message.contains("role")) {
      throw Error(std::string("'") + name + "' is a list of messages, but not every element is " +
                  "an object with a \"role\"");
    }
  }
}

}  // namespace

PreferenceText maybe_apply_chat_template(const Row& row, const ModelChatTemplates& templates) {
  const Row& prompt = column(row, "prompt");
  const Row& chosen = column(row, "chosen");
  const Row& rejected = column(row, "rejected");
  if (prompt.is_string() && chosen.is_string() && rejected.is_string()) {
    return {prompt.get<std::string>(), chosen.get<std::string>(), rejected.get<std::string>()};
  }
  if (!is_conversational(prompt) || !is_conversational(chosen) || !is_conversational(rejected)) {
    throw Error(
        "'prompt', 'chosen' and 'rejected' must all be strings (standard format) or all "
        "be non-empty lists of {role, content} messages (conversational format), but they "
        "are " +
        std::string(prompt.type_name()) + ", " + chosen.type_name() + " and " +
        rejected.type_name());
  }
  check_messages(prompt, "prompt");
  check_messages(chosen, "chosen");
  check_messages(rejected, "rejected");

  // The prompt ends with the header of the assistant's turn, or continues an
  // assistant message the answers complete.
  const Row& last_role = prompt.back()["role"];
  ChatOptions prompt_options;
  if (last_role == "user" || last_role == "tool") {
    prompt_options.add_generation_prompt = true;
  } else if (last_role == "assistant") {
    prompt_options.continue_final_message = true;
  } else {
    throw RejectedPreferenceRow(
        "Invalid role in the last message: " +
        (last_role.is_string() ? last_role.get<std::string>() : last_role.dump()) +
        " (the prompt must end with a user, tool or assistant message)");
  }
  PreferenceText text;
  text.prompt = templates.apply(prompt, prompt_options);
  // Templates that render the generation prompt differently from an assistant
  // turn (DeepSeek-R1) make TRL keep only the shared start as the prompt. As in
  // TRL, chosen is cut before the rejected conversation can shorten the prompt.
  const std::string prompt_chosen = templates.apply(concatenated(prompt, chosen));
  text.prompt = shared_start(text.prompt, prompt_chosen);
  text.chosen = prompt_chosen.substr(text.prompt.size());
  const std::string prompt_rejected = templates.apply(concatenated(prompt, rejected));
  text.prompt = shared_start(text.prompt, prompt_rejected);
  text.rejected = prompt_rejected.substr(text.prompt.size());
  return text;
}

}  // namespace wizard
