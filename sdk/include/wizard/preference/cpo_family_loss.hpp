// The base of a loss of TRL's CPO family (the built-in sigmoid, hinge, ipo, simpo and alphapo,
// and any third-party loss of the same kind): its options are read by the rules the plugin
// states (loss_options.hpp), it asks for the NLL term when cpo_alpha != 0, and it accepts a
// reference model. The plugin writes its formula in compute() from the steps below:
//
//   const Scored s = score(in, ScoreReduction::Sum);        // s (minus s_ref) and r(s)
//   const at::Tensor losses = mean_over_negatives(at::relu(1 - logits(s)), s.rewards.mask);
//   return finish(s, losses, in);                             // weights, NLL, rewards
#pragma once

#include <ATen/Tensor.h>

#include "wizard/plugin/loss.hpp"
#include "wizard/preference/answer_scores.hpp"
#include "wizard/preference/loss_assembly.hpp"
#include "wizard/preference/loss_options.hpp"
#include "wizard/preference/multi_negative.hpp"

namespace wizard::preference {

class CpoFamilyLoss : public Loss {
 public:
  CpoFamilyLoss(const Config& config, const LossOptionRules& rules)
      : options_(read_loss_options(config, rules)) {}

  LossRequirements requirements() const override {
    return {/*nll=*/options_.weights.cpo_alpha != 0, /*supports_reference=*/true};
  }

 protected:
  // Every answer's score under `reduction` (minus the reference's, with one) and its reward
  // shape r(s) (AlphaPO's, or s itself at alpha = 0).
  struct Scored {
    AnswerScores scores;
    AnswerScores rewards;
  };
  Scored score(const PreferenceScores& in, ScoreReduction reduction) const {
    const AnswerScores scores = answer_scores(in, reduction);
    return {scores, alphapo_rewards(scores, options_.alpha)};
  }

  // [B, K]: z_k = beta (d_k - gamma / beta), d_k = r(s+) - r(s-_k).
  at::Tensor logits(const Scored& scored) const {
    return pairwise_logits(scored.rewards, options_.beta, options_.gamma_over_beta);
  }

  // [B]: the sigmoid loss of those logits (pairwise, or softmax), with the options' mode,
  // temperature and label smoothing: the sigmoid, simpo and alphapo losses.
  at::Tensor sigmoid_losses(const Scored& scored) const {
    return sigmoid_preference_losses(logits(scored), scored.rewards.mask, options_.mode,
                                     options_.temperature, options_.label_smoothing);
  }

  // The PreferenceLoss of the per-example `losses`: preference_weight, the NLL term, rewards.
  PreferenceLoss finish(const Scored& scored, const at::Tensor& losses,
                        const PreferenceScores& in) const {
    return assemble_preference_loss(scored.scores, scored.rewards, losses, options_.beta,
                                    options_.weights, in.nll_loss);
  }

  const LossOptions options_;
};

}  // namespace wizard::preference
