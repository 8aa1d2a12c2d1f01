// hinge: the SLiC hinge loss (Zhao et al. 2023) on CPO's margin, TRL CPOTrainer loss_type
// "hinge". Per example, a chosen answer and K_i negatives k:
//
//   s       = log p(answer | prompt), summed over the answer tokens (minus the reference
//             model's sum when there is one)
//   r(s)    = s, or with alpha != 0 AlphaPO's (1 - exp(s)^(-alpha)) / alpha
//   z_k     = beta * (r(s+) - r(s-_k)) - margin
//   L       = mean_k max(0, 1 - z_k)                          (pairwise only)
//   loss    = preference_weight * mean(L) + cpo_alpha * nll   (no NLL term at cpo_alpha = 0)
//   rewards = beta * r(s)                                     (logged only)
//
// Options: TRL's CPOConfig names and defaults — beta 0.1 (the score difference must reach
// 1/beta), cpo_alpha 1.0, alpha 0.0 — and wizard's: margin 0.0, preference_weight 1.0.
// label_smoothing is accepted and ignored with a warning, as TRL does; multi_negative may only
// be "pairwise", so temperature is an error. See docs/losses.md.
#include <ATen/ATen.h>

#include "wizard/plugin/export.hpp"
#include "wizard/preference/cpo_family_loss.hpp"

namespace {

namespace pref = wizard::preference;

pref::LossOptionRules rules() {
  pref::LossOptionRules rules;
  rules.loss_name = "hinge";
  rules.label_smoothing = false;
  rules.softmax = false;
  rules.beta_help = "scales the score differences: a pair stops counting once it reaches 1/beta";
  return rules;
}

class HingeLoss : public pref::CpoFamilyLoss {
 public:
  static constexpr const char* kSummary =
      "CPO hinge loss max(0, 1 - beta * margin) of summed log-probs, plus the NLL term";
  static wizard::OptionDocs options() { return pref::loss_option_docs(rules()); }

  HingeLoss(const wizard::Config& config, wizard::PluginHost& /*host*/)
      : CpoFamilyLoss(config, rules()) {}

  wizard::PreferenceLoss compute(const wizard::PreferenceScores& in) const override {
    const Scored s = score(in, pref::ScoreReduction::Sum);
    return finish(s, pref::mean_over_negatives(at::relu(1 - logits(s)), s.rewards.mask), in);
  }
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_LOSS(HingeLoss, hinge)
