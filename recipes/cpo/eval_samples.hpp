// generate_during_eval: at each evaluation, the policy's answers to a fixed set of validation
// prompts, appended to output_dir/samples.jsonl (one line per prompt: step, prompt, chosen,
// rejected, policy), which report.html shows. TRL samples eval_batch_size random prompts
// anew each time and logs them to W&B; wizard keeps the same prompts so that answers can be
// compared across steps.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "wizard/data/trl_preference.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/model/generate.hpp"
#include "wizard/tokenizer/tokenizer.hpp"

namespace wizard::cpo {

class EvalSamples {
 public:
  // `count` prompts drawn once from `pairs` with `seed` (all of them when count >= size).
  EvalSamples(const model::CausalLM& model, const Tokenizer& tokenizer,
              const std::vector<TokenizedPreference>& pairs, std::int64_t count, std::uint64_t seed,
              model::GenerationConfig generation, std::filesystem::path file);

  // Generates the answers and appends them to the file, tagged with `step`.
  void write(std::int64_t step) const;
  const std::vector<std::size_t>& chosen_pairs() const { return indices_; }

 private:
  const model::CausalLM& model_;
  const Tokenizer& tokenizer_;
  const std::vector<TokenizedPreference>& pairs_;
  std::vector<std::size_t> indices_;
  model::GenerationConfig generation_;
  std::filesystem::path file_;
};

}  // namespace wizard::cpo
