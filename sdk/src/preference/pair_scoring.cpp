#include "wizard/preference/pair_scoring.hpp"

#include "wizard/preference/example_scoring.hpp"

namespace wizard::preference {

PairScores score_pairs(const model::CausalLM& model,
                       const std::vector<const TokenizedPreference*>& pairs,
                       const PairScoringOptions& options, bool with_nll) {
  ExampleScores examples = score_examples(model, examples_of_pairs(pairs), options, with_nll);
  PairScores scores;
  scores.logps.chosen_logps_sum = examples.chosen_logps_sum;
  scores.logps.chosen_tokens = examples.chosen_tokens;
  scores.logps.rejected_logps_sum = examples.negative_logps_sum.select(1, 0);
  scores.logps.rejected_tokens = examples.negative_tokens.select(1, 0);
  scores.logps.nll_loss = examples.nll_loss;
  scores.logit_sums = examples.logit_sums;
  scores.work = examples.work;
  return scores;
}

}  // namespace wizard::preference
