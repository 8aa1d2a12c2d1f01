// `wizard chat MODEL_OR_CONFIG`: a conversation in the terminal. Answers are printed token
// by token as they are generated; the history goes into every prompt through the model's
// chat template; /reset forgets it, /exit (or end of input) leaves.
#include <iostream>

#include "generation_setup.hpp"
#include "wizard/base/log.hpp"
#include "wizard/generation/prompt.hpp"
#include "wizard/generation/text_generation.hpp"

namespace wizard::core {

namespace {

// Control characters other than newline are shown as U+FFFD: a model's text must not be able
// to move the cursor or change the terminal.
std::string printable(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\n') || byte == 0x7f) {
      out += "\xEF\xBF\xBD";
    } else {
      out += c;
    }
  }
  return out;
}

int execute_chat(const po::variables_map& vm) {
  GenerationSetup setup =
      load_generation_setup(vm, {{"system", "string", "", "a system message opening the chat"}});
  const std::string system = vm.count("system") ? vm["system"].as<std::string>()
                                                : setup.config.get<std::string>("system", "");
  auto fresh_history = [&] {
    Row history = Row::array();
    if (!system.empty()) history.push_back(Row{{"role", "system"}, {"content", system}});
    return history;
  };
  Row history = fresh_history();
  std::cout << "wizard chat: " << setup.model_dir.string()
            << "\n/reset forgets the conversation, /exit leaves.\n"
            << std::flush;
  std::string line;
  while (true) {
    std::cout << "\nyou> " << std::flush;
    if (!std::getline(std::cin, line) || line == "/exit" || line == "/quit") break;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (line == "/reset") {
      history = fresh_history();
      std::cout << "(conversation forgotten)\n";
      continue;
    }
    if (line[0] == '/') {
      std::cout << "(unknown command " << line << "; /reset or /exit)\n";
      continue;
    }
    history.push_back(Row{{"role", "user"}, {"content", line}});
    const std::string prompt = generation::prompt_text(history, setup.templates);
    logger()->debug("chat: a prompt of {} messages", history.size());
    std::cout << "model> " << std::flush;
    const auto answers = generation::generate_text(
        *setup.model, *setup.tokenizer, {prompt}, setup.generation,
        [](std::size_t, const std::string& text) { std::cout << printable(text) << std::flush; });
    const generation::Answer& answer = answers.front();
    if (answer.reason == model::StopReason::length) {
      std::cout << " [cut at " << answer.tokens.size() << " tokens]";
    }
    std::cout << "\n" << std::flush;
    history.push_back(Row{{"role", "assistant"}, {"content", answer.text}});
  }
  std::cout << "\n";
  return 0;
}

}  // namespace

Command chat_command() {
  Command command;
  command.name = "chat";
  command.synopsis = "chat MODEL_OR_CONFIG [--system TEXT] [sampling options]";
  command.summary = "talk with a model in the terminal (streamed answers, history)";
  command.details =
      "Each line you type is a user message; the answer is printed as it is generated.\n"
      "The conversation so far is rendered with the model's chat template for every answer.\n"
      "/reset forgets the conversation, /exit (or Ctrl-D) leaves. Options as for\n"
      "`wizard generate`; defaults from the model's generation_config.json.\n";
  command.declare = [](po::options_description& options, po::positional_options_description& p) {
    declare_generation_options(options, p);
    options.add_options()("system", po::value<std::string>(), "a system message");
  };
  command.execute = execute_chat;
  return command;
}

}  // namespace wizard::core
