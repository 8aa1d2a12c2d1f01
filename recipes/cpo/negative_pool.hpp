// Which negatives each example of a micro-batch is scored with. Training: up to K
// (num_negatives) from the example's pool — its rejected answer, its negatives and
// hard_negatives columns, and with in_batch_negatives the other prompts' chosen answers in the
// micro-batch — as the negative sampler chooses them. Evaluation: every negative the example has
// (in-batch ones aside), so that held-out accuracies compare the chosen answer with all of them.
//
// Choices are a pure function of the run's seed, the example and how many times it was trained
// on, plus the policy scores a sampler asked for (refreshed every few optimizer steps); counts
// and scores are saved with each checkpoint, so a resumed run chooses what the uninterrupted
// one would have.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "wizard/data/trl_preference.hpp"
#include "wizard/plugin/negative_sampler.hpp"
#include "wizard/preference/example_scoring.hpp"

namespace wizard::cpo {

struct NegativeSettings {
  std::int64_t num_negatives = 1;  // K
  bool in_batch = false;           // other prompts' chosen answers join the pool
  std::uint64_t seed = 0;
};

// A micro-batch ready to score: the examples, and the token sequences made for it (in-batch
// negatives: this prompt's tokens followed by another example's chosen answer).
struct PreparedBatch {
  std::vector<preference::ExampleToScore> examples;
  std::vector<std::unique_ptr<std::vector<std::int32_t>>> made_sequences;
  std::int64_t short_examples = 0;  // examples with fewer than K negatives to choose from
};

// The mean log-probability per answer token of each of the example's negatives, under the
// current policy (without gradients).
using PolicyScorer = std::function<std::vector<double>(const preference::ExampleToScore&)>;

class NegativePool {
 public:
  NegativePool(const std::vector<TokenizedPreference>& pairs,
               std::shared_ptr<NegativeSampler> sampler, NegativeSettings settings);

  // Training: K negatives per example as the sampler chooses them. `policy_scores` scores
  // sequences under the current policy (called only when the sampler needs scores older than
  // its refresh interval). Counts the examples' visits.
  PreparedBatch training_batch(const std::vector<std::int64_t>& indices,
                               const PolicyScorer& policy_scores);
  // Evaluation: every negative of each example.
  PreparedBatch evaluation_batch(const std::vector<std::int64_t>& indices) const;

  // The optimizer step the run is at (policy scores age in steps).
  void set_step(std::int64_t step) { step_ = step; }

  nlohmann::json save_state() const;
  void load_state(const nlohmann::json& state);
  // The examples' negatives changed (mining_refresh_epochs): cached policy scores are stale.
  void forget_policy_scores() { scores_.clear(); }

 private:
  struct Scores {
    std::int64_t step = 0;
    std::vector<double> values;  // one per pool candidate (in-batch ones are not kept)
  };

  const std::vector<TokenizedPreference>& pairs_;
  std::shared_ptr<NegativeSampler> sampler_;
  NegativeSettings settings_;
  std::int64_t step_ = 0;
  std::vector<std::int64_t> visits_;       // per example: micro-batches it was trained in
  std::map<std::int64_t, Scores> scores_;  // per example: the latest policy scores of its pool
};

// The example's own negatives (rejected first, then its other negatives) as sequences.
std::vector<preference::SequenceRef> own_negatives(const TokenizedPreference& pair);

// Tokens a packed example costs with up to k negatives: the chosen sequence and the k longest
// negatives' tokens beyond the prompt they share (what the packed sampler budgets).
std::int64_t packed_example_tokens(const TokenizedPreference& pair, std::int64_t k);

}  // namespace wizard::cpo
