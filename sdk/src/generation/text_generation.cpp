#include "wizard/generation/text_generation.hpp"

#include "wizard/generation/prompt.hpp"
#include "wizard/generation/text_stream.hpp"

namespace wizard::generation {

std::vector<Answer> generate_text(const model::CausalLM& model, const Tokenizer& tokenizer,
                                  const std::vector<std::string>& prompts,
                                  const model::GenerationConfig& config,
                                  const TextCallback& on_text, model::GenerationStats* stats) {
  std::vector<std::vector<std::int32_t>> ids;
  std::vector<TextStream> streams;
  for (const auto& prompt : prompts) {
    ids.push_back(prompt_ids(prompt, tokenizer));
    streams.emplace_back(tokenizer, config.stop_strings);
  }
  const model::GenerationResult result =
      model::generate(model, ids, config, [&](std::size_t row, std::int32_t token) {
        const std::string piece = streams[row].add(token);
        if (on_text && !piece.empty()) on_text(row, piece);
        return streams[row].stopped();
      });
  if (stats) *stats = result.stats;
  std::vector<Answer> answers(prompts.size());
  for (std::size_t r = 0; r < prompts.size(); ++r) {
    answers[r].tokens = result.sequences[r].tokens;
    answers[r].reason = result.sequences[r].reason;
    answers[r].text = streams[r].text();
    answers[r].prompt_tokens = static_cast<std::int64_t>(ids[r].size());
  }
  return answers;
}

}  // namespace wizard::generation
