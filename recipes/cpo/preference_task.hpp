// The CPO step: choose each example's negatives (NegativePool), score the chosen answer and
// its negatives with the model in one pass (and with the reference model, when there is one),
// hand the scores to the loss plugin, and report TRL's metrics. Also the evaluation pass over
// the held-out examples, each with every negative it has.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "contrastive_term.hpp"
#include "negative_pool.hpp"
#include "reference_model.hpp"
#include "wizard/data/trl_preference.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/plugin/loss.hpp"
#include "wizard/plugin/negative_sampler.hpp"
#include "wizard/preference/example_scoring.hpp"
#include "wizard/train/trainer.hpp"

namespace wizard::cpo {

struct PreferenceTaskParts {
  const model::CausalLM* model = nullptr;
  std::shared_ptr<Loss> loss;
  preference::PairScoringOptions scoring;
  std::shared_ptr<NegativeSampler> negative_sampler;
  NegativeSettings negatives;
  const ReferenceModel* reference = nullptr;  // reference_free = false
  ContrastiveTerm* contrastive = nullptr;     // contrastive_weight > 0
};

class PreferenceTask {
 public:
  // Trains on `train_pairs` (kept by reference).
  PreferenceTask(PreferenceTaskParts parts, const std::vector<TokenizedPreference>& train_pairs);

  // One training micro-batch (indices into the training pairs).
  train::StepResult compute(const train::MicroBatch& indices);

  // After each optimizer step: the step the run is at (the age of cached policy scores is
  // counted in steps), and the contrastive term's momentum update.
  void optimizer_stepped(std::int64_t step);
  // The negative-sampling state, saved with each checkpoint.
  nlohmann::json save_state() const { return pool_.save_state(); }
  void load_state(const nlohmann::json& state) { pool_.load_state(state); }
  // The training pairs' negatives changed (re-mined): policy scores are computed afresh.
  void forget_policy_scores() { pool_.forget_policy_scores(); }

  // Training examples scored so far, and how many of them had fewer than K negatives.
  std::int64_t examples_scored() const { return examples_scored_; }
  std::int64_t short_examples() const { return short_examples_; }

  // Evaluation also decodes each prompt greedily and reports eval_exact_match:
  // the share of pairs whose decoded answer (up to a stop token) is the chosen one.
  void enable_exact_match(std::vector<int64_t> stop_ids) {
    stop_ids_ = std::move(stop_ids);
    exact_match_ = true;
  }

  // Called with the work of every micro-batch scored for training (`wizard bench`).
  void observe_work(std::function<void(const preference::ScoringWork&)> observer) {
    work_observer_ = std::move(observer);
  }

  // TRL's evaluation: metrics per batch of `batch_size` examples in order (each with all its
  // negatives), averaged over batches; eval_loss weighted by batch size as HF's loop does.
  train::EvalResult evaluate(const std::vector<TokenizedPreference>& pairs,
                             int64_t batch_size) const;

 private:
  struct Outcome {
    PreferenceLoss loss;
    preference::NamedMetrics metrics;
    int64_t tokens = 0;
    ContrastiveOutcome contrastive;  // with the contrastive term
  };
  // `ids`: the examples' indices in their set.
  Outcome run(const std::vector<preference::ExampleToScore>& examples,
              const std::vector<std::int64_t>& ids, preference::MetricSplit split) const;
  // The current policy's mean log-probability per token of each of the example's negatives.
  std::vector<double> policy_scores(const preference::ExampleToScore& example) const;
  double exact_match(const std::vector<TokenizedPreference>& pairs, int64_t batch_size) const;

  PreferenceTaskParts parts_;
  NegativePool pool_;
  std::int64_t examples_scored_ = 0;
  std::int64_t short_examples_ = 0;
  std::function<void(const preference::ScoringWork&)> work_observer_;
  bool exact_match_ = false;
  std::vector<int64_t> stop_ids_;
};

}  // namespace wizard::cpo
