// The CPO step: score a micro-batch of pairs with the model, hand the
// log-probs to the loss plugin, and report TRL's metrics. Also the
// evaluation pass over the held-out pairs.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "wizard/data/trl_preference.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/plugin/loss.hpp"
#include "wizard/preference/pair_scoring.hpp"
#include "wizard/train/trainer.hpp"

namespace wizard::cpo {

class PreferenceTask {
 public:
  PreferenceTask(const model::CausalLM& model, std::shared_ptr<Loss> loss,
                 preference::PairScoringOptions scoring);

  // One training micro-batch (indices into `pairs`).
  train::StepResult compute(const std::vector<TokenizedPreference>& pairs,
                            const train::MicroBatch& indices) const;

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

  // TRL's evaluation: metrics per batch of `batch_size` pairs in order, averaged
  // over batches; eval_loss weighted by batch size as HF's evaluation loop does.
  train::EvalResult evaluate(const std::vector<TokenizedPreference>& pairs,
                             int64_t batch_size) const;

 private:
  struct Outcome {
    PreferenceLoss loss;
    preference::NamedMetrics metrics;
    int64_t tokens = 0;
  };
  Outcome run(const std::vector<TokenizedPreference>& pairs, const train::MicroBatch& indices,
              preference::MetricSplit split) const;

  const model::CausalLM& model_;
  std::shared_ptr<Loss> loss_;
  double exact_match(const std::vector<TokenizedPreference>& pairs, int64_t batch_size) const;

  preference::PairScoringOptions scoring_;
  std::function<void(const preference::ScoringWork&)> work_observer_;
  bool exact_match_ = false;
  std::vector<int64_t> stop_ids_;
};

}  // namespace wizard::cpo
