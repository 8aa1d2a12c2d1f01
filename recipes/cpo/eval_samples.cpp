#include "eval_samples.hpp"

#include <algorithm>
#include <fstream>
#include <numeric>
#include <random>

#include "wizard/base/error.hpp"
#include "wizard/generation/text_stream.hpp"

namespace wizard::cpo {

EvalSamples::EvalSamples(const model::CausalLM& model, const Tokenizer& tokenizer,
                         const std::vector<TokenizedPreference>& pairs, std::int64_t count,
                         std::uint64_t seed, model::GenerationConfig generation,
                         std::filesystem::path file)
    : model_(model),
      tokenizer_(tokenizer),
      pairs_(pairs),
      generation_(std::move(generation)),
      file_(std::move(file)) {
  indices_.resize(pairs.size());
  std::iota(indices_.begin(), indices_.end(), 0);
  if (count < static_cast<std::int64_t>(pairs.size())) {
    std::mt19937_64 random(seed);
    std::shuffle(indices_.begin(), indices_.end(), random);
    indices_.resize(static_cast<std::size_t>(count));
    std::sort(indices_.begin(), indices_.end());
  }
}

void EvalSamples::write(std::int64_t step) const {
  std::vector<std::vector<std::int32_t>> prompts;
  for (const std::size_t i : indices_) {
    const auto& ids = pairs_[i].chosen_input_ids;
    prompts.emplace_back(ids.begin(),
                         ids.begin() + static_cast<std::ptrdiff_t>(pairs_[i].chosen_prompt_length));
  }
  // Stop strings end an answer as in `wizard generate`.
  std::vector<generation::TextStream> streams(
      prompts.size(), generation::TextStream(tokenizer_, generation_.stop_strings));
  const auto result =
      model::generate(model_, prompts, generation_, [&](std::size_t row, std::int32_t token) {
        streams[row].add(token);
        return streams[row].stopped();
      });
  std::ofstream out(file_, std::ios::app);
  auto answer = [&](const std::vector<std::int32_t>& ids, std::size_t from) {
    return tokenizer_.decode(
        std::vector<std::int32_t>(ids.begin() + static_cast<std::ptrdiff_t>(from), ids.end()),
        /*skip_special_tokens=*/true);
  };
  for (std::size_t k = 0; k < indices_.size(); ++k) {
    const TokenizedPreference& pair = pairs_[indices_[k]];
    nlohmann::ordered_json line = {
        {"step", step},
        {"prompt", tokenizer_.decode(prompts[k], /*skip_special_tokens=*/false)},
        {"chosen", answer(pair.chosen_input_ids, pair.chosen_prompt_length)},
        {"rejected", answer(pair.rejected_input_ids, pair.rejected_prompt_length)},
        {"policy", streams[k].text()},
        {"finish_reason", model::stop_reason_name(result.sequences[k].reason)},
        {"validation_index", indices_[k]}};
    out << line.dump() << "\n";
  }
  out.flush();
  if (!out) throw Error("cannot write " + file_.string());
}

}  // namespace wizard::cpo
