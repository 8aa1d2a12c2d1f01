// `wizard generate MODEL_OR_CONFIG --prompts prompts.jsonl --out answers.jsonl`: answers for
// a file of prompts, batched, with a progress display.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <numeric>

#include "generation_setup.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/generation/prompt.hpp"
#include "wizard/generation/text_generation.hpp"
#include "wizard/train/progress.hpp"

namespace wizard::core {

namespace fs = std::filesystem;

namespace {

struct PromptRow {
  Row row;           // the line as read (its other keys go to the answer)
  std::string text;  // the prompt as the model sees it
  std::size_t tokens = 0;
};

std::vector<PromptRow> read_prompts(const fs::path& path, const GenerationSetup& setup) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open the prompts file " + path.string());
  std::vector<PromptRow> prompts;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path.string() + ":" + std::to_string(number);
    PromptRow prompt;
    try {
      prompt.row = Row::parse(line);
    } catch (const nlohmann::json::parse_error& error) {
      throw Error(where + ": not a JSON line (" + error.what() + ")");
    }
    if (!prompt.row.is_object() || !prompt.row.contains("prompt")) {
      throw Error(where +
                  ": each line must be an object with a \"prompt\" (a string, or a list of "
                  "{role, content} messages)");
    }
    try {
      prompt.text = generation::prompt_text(prompt.row["prompt"], setup.templates);
    } catch (const Error& error) {
      throw Error(where + ": " + error.what());
    }
    prompt.tokens = generation::prompt_ids(prompt.text, *setup.tokenizer).size();
    prompts.push_back(std::move(prompt));
  }
  if (prompts.empty()) throw Error(path.string() + " holds no prompts");
  return prompts;
}

// TRL's prompt-completion format: a conversation's completion is an assistant message.
Row answer_row(const PromptRow& prompt, const generation::Answer& answer) {
  Row out = prompt.row;
  if (prompt.row["prompt"].is_string()) {
    out["completion"] = answer.text;
  } else {
    out["completion"] = Row::array({Row{{"role", "assistant"}, {"content", answer.text}}});
  }
  out["finish_reason"] = model::stop_reason_name(answer.reason);
  out["prompt_tokens"] = answer.prompt_tokens;
  out["completion_tokens"] = answer.tokens.size();
  return out;
}

int execute_generate(const po::variables_map& vm) {
  GenerationSetup setup = load_generation_setup(
      vm, {{"prompts", "string", "", "the prompts file (JSON Lines, a \"prompt\" per line)"},
           {"out", "string", "", "the answers file to write"},
           {"batch_size", "int", "8", "prompts decoded together"}});
  const Config& config = setup.config;
  const fs::path prompts_path = vm.count("prompts") ? vm["prompts"].as<std::string>()
                                                    : config.require<std::string>("prompts");
  const fs::path out_path =
      vm.count("out") ? vm["out"].as<std::string>() : config.require<std::string>("out");
  const std::int64_t batch_size = vm.count("batch-size")
                                      ? vm["batch-size"].as<std::int64_t>()
                                      : config.get<std::int64_t>("batch_size", 8);
  if (batch_size < 1) throw UsageError("--batch-size must be at least 1");

  const std::vector<PromptRow> prompts = read_prompts(prompts_path, setup);
  // Prompts of similar length share a batch (less padding); answers keep the file's order.
  std::vector<std::size_t> order(prompts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return prompts[a].tokens < prompts[b].tokens;
  });
  std::vector<generation::Answer> answers(prompts.size());
  const auto started = std::chrono::steady_clock::now();
  std::int64_t new_tokens = 0;
  train::ProgressDisplay progress(static_cast<std::int64_t>(prompts.size()), 0);
  for (std::size_t begin = 0; begin < order.size(); begin += static_cast<std::size_t>(batch_size)) {
    const std::size_t end = std::min(order.size(), begin + static_cast<std::size_t>(batch_size));
    std::vector<std::string> texts;
    for (std::size_t i = begin; i < end; ++i) texts.push_back(prompts[order[i]].text);
    auto batch = generation::generate_text(*setup.model, *setup.tokenizer, texts, setup.generation);
    for (std::size_t i = begin; i < end; ++i) {
      new_tokens += static_cast<std::int64_t>(batch[i - begin].tokens.size());
      answers[order[i]] = std::move(batch[i - begin]);
    }
    progress.update(static_cast<std::int64_t>(end), std::to_string(new_tokens) + " tokens");
  }
  progress.finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (out_path.has_parent_path()) fs::create_directories(out_path.parent_path());
  const fs::path partial = out_path.string() + ".partial";
  {
    std::ofstream out(partial);
    for (std::size_t i = 0; i < prompts.size(); ++i)
      out << answer_row(prompts[i], answers[i]).dump() << "\n";
    if (!out) throw Error("cannot write " + partial.string());
  }
  fs::rename(partial, out_path);
  std::cout << "wrote " << prompts.size() << " answers (" << new_tokens << " new tokens in "
            << seconds << " s, " << (seconds > 0 ? new_tokens / seconds : 0.0) << " tokens/s) to "
            << out_path.string() << "\n";
  return 0;
}

}  // namespace

Command generate_command() {
  Command command;
  command.name = "generate";
  command.synopsis = "generate MODEL_OR_CONFIG --prompts FILE --out FILE [options]";
  command.summary = "answer a file of prompts with a model (KV-cache decoding)";
  command.details =
      "MODEL_OR_CONFIG is a model folder, a hub name in the local HF cache, or a config file\n"
      "with `model = ...` and optionally prompts, out, batch_size, dtype, device, threads,\n"
      "chat_template_kwargs and a [generation] table. Each prompts line is an object with a\n"
      "\"prompt\": a string (used as is) or a list of {role, content} messages (the model's\n"
      "chat template is applied, as in training). Each answers line is the prompt line with\n"
      "\"completion\" (a string, or a list with one assistant message), \"finish_reason\"\n"
      "(eos, stop, length), \"prompt_tokens\" and \"completion_tokens\". Defaults come from\n"
      "the model's generation_config.json. See docs/generation.md.\n";
  command.declare = [](po::options_description& options, po::positional_options_description& p) {
    declare_generation_options(options, p);
    options.add_options()("prompts", po::value<std::string>(), "the prompts file (JSON Lines)")(
        "out", po::value<std::string>(), "the answers file to write (JSON Lines)")(
        "batch-size", po::value<std::int64_t>(), "prompts decoded together (default 8)");
  };
  command.execute = execute_generate;
  return command;
}

}  // namespace wizard::core
