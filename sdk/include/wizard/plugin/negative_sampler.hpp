// A negative sampler: chooses which of an example's negative answers a training step scores
// (`negative_sampling_strategy`). The recipe gathers each example's pool — its rejected answer,
// its negatives and hard_negatives columns, mined negatives and, with in_batch_negatives, the
// other prompts' chosen answers in the micro-batch — and asks for up to K of them
// (`num_negatives`). Built-in: random, hard, mixed (plugins/negatives/).
#pragma once

#include <cstdint>
#include <vector>

#include "wizard/data/trl_preference.hpp"
#include "wizard/plugin/plugin.hpp"

namespace wizard {

struct NegativeCandidate {
  NegativeSource source = NegativeSource::rejected;
  // A hard negative: from the hard_negatives column or a miner (what "hard" strategies prefer).
  bool hard = false;
  // The current policy's mean log-probability per answer token, when the sampler asked for
  // policy scores (uses_policy_scores); NaN otherwise.
  double policy_score = 0;
};

class WIZARD_API NegativeSampler : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::NegativeSampler;
  ~NegativeSampler() override;

  // Whether choose() needs policy scores for this pool: the recipe then scores the pool with
  // the current policy (no gradients, one packed pass) unless its scores are younger than
  // policy_score_refresh_steps() optimizer steps.
  virtual bool uses_policy_scores(const std::vector<NegativeCandidate>& pool,
                                  std::int64_t k) const = 0;
  virtual std::int64_t policy_score_refresh_steps() const { return 1; }

  // Up to k distinct indices into `pool`, in the order they are scored. Must be a pure
  // function of its arguments (resume relies on it): `seed` is the recipe's, drawn from the
  // run's seed, the example and how often it was trained on.
  virtual std::vector<std::int64_t> choose(const std::vector<NegativeCandidate>& pool,
                                           std::int64_t k, std::uint64_t seed) const = 0;
};

}  // namespace wizard
