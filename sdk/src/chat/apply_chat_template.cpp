#include "wizard/chat/apply_chat_template.hpp"

#include "base/utf8.hpp"
#include "chat/chat_template_access.hpp"
#include "chat/jinja_json.hpp"
#include "chat/jinja_unicode.hpp"

namespace wizard {

namespace {

// Variables apply_chat_template sets itself; kwargs may not name them
// (Python would raise "got multiple values for keyword argument").
constexpr const char* kReservedVariables[] = {"messages", "tools", "documents",
                                              "add_generation_prompt"};

[[noreturn]] void fail(const ChatTemplate& chat_template, const std::string& message) {
  throw Error("apply_chat_template with chat template '" + chat_template.name() + "': " + message);
}

void check_list_of_objects(const ChatTemplate& chat_template, const nlohmann::ordered_json& value,
                           const char* what, const char* expected) {
  if (value.is_null()) return;
  if (!value.is_array())
    fail(chat_template, std::string(what) + " must be null or a list, not " + value.type_name());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_object()) {
      fail(chat_template, std::string(what) + "[" + std::to_string(i) + "] is a " +
                              value[i].type_name() + "; " + expected);
    }
  }
}

// The text continue_final_message keeps the rendering up to: the final
// message's content, or the last text block of a list of content blocks.
std::string final_message_text(const ChatTemplate& chat_template,
                               const nlohmann::ordered_json& messages) {
  if (messages.empty()) fail(chat_template, "continue_final_message needs at least one message");
  const auto& final_message = messages.back();
  const auto content =
      final_message.is_object() ? final_message.find("content") : final_message.end();
  if (!final_message.is_object() || content == final_message.end()) {
    fail(chat_template, "continue_final_message: the final message has no \"content\"");
  }
  // Invalid UTF-8 reads as U+FFFD, as the template saw it (jinja::from_json).
  if (content->is_string()) return utf8::replace_invalid(content->get<std::string>());
  if (content->is_array()) {
    for (auto block = content->rbegin(); block != content->rend(); ++block) {
      if (block->is_object() && block->contains("text") && (*block)["text"].is_string()) {
        return utf8::replace_invalid((*block)["text"].get<std::string>());
      }
    }
    fail(chat_template,
         "continue_final_message is set but the final message has no text block to continue");
  }
  fail(chat_template, std::string("continue_final_message: the final message's content is a ") +
                          content->type_name() + ", not text");
}

// transformers' cut: keep the rendering up to the final message's text. When
// the template kept the message's trailing whitespace, keep it too.
std::string cut_after_final_message(const ChatTemplate& chat_template, const std::string& rendered,
                                    const std::string& final_message) {
  using jinja::unicode::Side;
  const std::string stripped(jinja::unicode::strip(final_message, Side::Both));
  const std::size_t location = rendered.rfind(stripped);
  if (location == std::string::npos) {
    fail(chat_template,
         "continue_final_message is set but the final message does not appear in the chat after "
         "applying the chat "
         "template! This can happen if the chat template deletes portions of the final message. "
         "Please verify the "
         "chat template and final message in your chat to ensure they are compatible.");
  }
  const std::size_t left_stripped_size = jinja::unicode::strip(final_message, Side::Left).size();
  if (rendered.compare(location, left_stripped_size, final_message) == 0) {
    return rendered.substr(0, location + left_stripped_size);
  }
  return rendered.substr(0, location + stripped.size());
}

}  // namespace

std::string apply_chat_template(const ChatTemplate& chat_template,
                                const nlohmann::ordered_json& messages, const ChatOptions& options,
                                const nlohmann::ordered_json& special_tokens) {
  if (!messages.is_array()) {
    fail(chat_template,
         std::string("messages must be a list of {\"role\", \"content\"} objects, not ") +
             messages.type_name());
  }
  if (options.continue_final_message && options.add_generation_prompt) {
    fail(chat_template,
         "continue_final_message and add_generation_prompt are not compatible. Use "
         "continue_final_message when you "
         "want the model to continue the final message, and add_generation_prompt when you want to "
         "add a header that "
         "will prompt it to start a new assistant message instead.");
  }
  check_list_of_objects(chat_template, options.tools, "tools",
                        "tools should be JSON schemas (objects) of functions the model may call");
  check_list_of_objects(chat_template, options.documents, "documents",
                        "documents should be objects with 'title' and 'text' keys");
  if (!special_tokens.is_object()) fail(chat_template, "special_tokens must be a JSON object");
  if (!options.template_kwargs.is_object())
    fail(chat_template, "template_kwargs must be a JSON object");

  jinja::Dict variables;
  try {
    for (const auto& [name, value] : special_tokens.items())
      variables.set(name, jinja::from_json(value));
    for (const auto& [name, value] : options.template_kwargs.items()) {
      for (const char* reserved : kReservedVariables) {
        if (name == reserved) {
          fail(chat_template, "template_kwargs may not set '" + name +
                                  "'; pass it through ChatOptions or the messages argument");
        }
      }
      variables.set(name, jinja::from_json(value));
    }
    variables.set("messages", jinja::from_json(messages));
    variables.set("tools", jinja::from_json(options.tools));
    variables.set("documents", jinja::from_json(options.documents));
  } catch (const jinja::Fault& fault) {
    fail(chat_template, fault.message());
  }
  variables.set("add_generation_prompt", jinja::Value::boolean(options.add_generation_prompt));

  std::string rendered = ChatTemplateAccess::render(chat_template, variables);
  if (!options.continue_final_message) return rendered;
  return cut_after_final_message(chat_template, rendered,
                                 final_message_text(chat_template, messages));
}

}  // namespace wizard
