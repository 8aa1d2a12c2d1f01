// A Jinja chat template: parsed, then rendered with conversations as transformers passes them
// (messages, add_generation_prompt, special tokens, tools).
#include "fuzz_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/chat/apply_chat_template.hpp"
#include "wizard/chat/chat_template.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const nlohmann::ordered_json messages = nlohmann::ordered_json::parse(
      R"([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
          {"role": "assistant", "content": "Hello", "tool_calls": [{"type": "function",
           "function": {"name": "add", "arguments": {"a": 1, "b": 2}}}]},
          {"role": "tool", "content": "3"}, {"role": "user", "content": "and 2+2?"}])");
  static const nlohmann::ordered_json special = {
      {"bos_token", "<s>"}, {"eos_token", "</s>"}, {"pad_token", "<pad>"}};
  try {
    const wizard::ChatTemplate chat_template(wizard::fuzz::text_of(data, size), "fuzz");
    for (const bool generation : {false, true}) {
      wizard::ChatOptions options;
      options.add_generation_prompt = generation;
      options.template_kwargs = {{"enable_thinking", generation}};
      if (generation) {
        options.tools = nlohmann::ordered_json::parse(
            R"([{"type": "function", "function": {"name": "add", "parameters": {}}}])");
      }
      try {
        (void)wizard::apply_chat_template(chat_template, messages, options, special);
      } catch (const wizard::Error&) {
      }
    }
  } catch (const wizard::Error&) {
  }
  return 0;
}
