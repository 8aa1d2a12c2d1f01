// `wizard bench` for the cpo recipe: trains a few steps through the same trainer, sampler,
// scoring and loss as `wizard run`, and times each optimizer step.
//
//   standard: the step the config describes (by default packed rows from the packed
//             sampler, shared prompts, the chunked LM head at scored positions);
//   baseline: TRL's step on the same data: the random sampler's batches, the padded
//             concatenated batch, prompts computed twice, full-vocabulary logits.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "cpo_settings.hpp"
#include "negative_pool.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/plugin/loss.hpp"
#include "wizard/plugin/recipe.hpp"
#include "wizard/plugin/recipe_bench.hpp"
#include "wizard/plugin/sampler.hpp"

namespace wizard::cpo {

struct CpoBenchParts {
  const CpoSettings* settings = nullptr;
  const model::CausalLM* model = nullptr;
  const std::vector<TokenizedPreference>* pairs = nullptr;
  std::shared_ptr<Loss> loss;
  std::shared_ptr<Sampler> sampler;           // the config's
  std::shared_ptr<Sampler> baseline_sampler;  // random, as TRL's dataloader
  std::string sampler_name;
  std::shared_ptr<NegativeSampler> negative_sampler;  // the config's, in both modes
  NegativeSettings negatives;
};

class CpoBench : public RecipeBench {
 public:
  CpoBench(CpoBenchParts parts, std::filesystem::path scratch_dir);

  std::string describe(BenchMode mode) const override;
  std::vector<BenchStep> run(BenchMode mode, std::int64_t warmup, std::int64_t steps) override;
  std::optional<BenchMemory> memory() const override { return memory_; }

 private:
  preference::PairScoringOptions scoring(BenchMode mode) const;
  // The config's arguments, changed to train warmup + steps steps and write nothing that
  // lasts: no checkpoints, evaluation, logging or final model; output in the scratch folder.
  train::TrainingArguments arguments(BenchMode mode, std::int64_t total_steps) const;

  CpoBenchParts parts_;
  std::filesystem::path scratch_dir_;
  std::optional<BenchMemory> memory_;
};

}  // namespace wizard::cpo
