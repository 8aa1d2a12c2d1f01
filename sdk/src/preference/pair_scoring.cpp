#include "wizard/preference/pair_scoring.hpp"

#include "wizard/preference/example_scoring.hpp"

namespace wizard::preference {

PairScores score_pairs(const model::CausalLM& model,
                       const std::vector<const TokenizedPreference*>& pairs,
                       const PairScoringOptions& options, bool with_nll) {
  ExampleScores examples = score_examples(model, examples_of_pairs(pairs), options, with_nll);
  PairScores scores;
  scores.logps = preference_scores_of(examples);
  scores.logit_sums = examples.logit_sums;
  scores.work = examples.work;
  return scores;
}

}  // namespace wizard::preference
