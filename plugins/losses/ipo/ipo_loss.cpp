// ipo: the IPO loss (Azar et al. 2023, eq. 17) on CPO's margin, TRL CPOTrainer loss_type
// "ipo". Scores length-averaged log-probs, as TRL does. Per example, a chosen answer and K_i
// negatives k:
//
//   s       = log p(answer | prompt) / answer tokens (minus the reference model's, the same
//             average, when there is one)
//   r(s)    = s, or with alpha != 0 AlphaPO's (1 - exp(s)^(-alpha)) / alpha
//   d_k     = r(s+) - r(s-_k)
//   L       = mean_k (d_k - 1 / (2 beta))^2                   (pairwise only)
//   loss    = preference_weight * mean(L) + cpo_alpha * nll   (no NLL term at cpo_alpha = 0)
//   rewards = beta * r(s)                                     (logged only)
//
// Options: TRL's CPOConfig names and defaults — beta 0.1 (IPO's tau), cpo_alpha 1.0, alpha
// 0.0 — and wizard's preference_weight 1.0. label_smoothing is accepted and ignored with a
// warning, as TRL does; IPO's target is its own margin, so `margin` is an error, and so is
// temperature (pairwise only). See docs/losses.md.
#include <ATen/ATen.h>

#include "wizard/plugin/export.hpp"
#include "wizard/preference/cpo_family_loss.hpp"

namespace {

namespace pref = wizard::preference;

pref::LossOptionRules rules() {
  pref::LossOptionRules rules;
  rules.loss_name = "ipo";
  rules.margin = pref::MarginKey::none;
  rules.label_smoothing = false;
  rules.softmax = false;
  rules.beta_help = "regularisation tau of IPO: the target margin is 1/(2 beta)";
  return rules;
}

class IpoLoss : public pref::CpoFamilyLoss {
 public:
  static constexpr const char* kSummary =
      "CPO IPO loss (margin - 1/(2 beta))^2 of averaged log-probs, plus the NLL term";
  static wizard::OptionDocs options() { return pref::loss_option_docs(rules()); }

  IpoLoss(const wizard::Config& config, wizard::PluginHost& /*host*/)
      : CpoFamilyLoss(config, rules()) {}

  wizard::PreferenceLoss compute(const wizard::PreferenceScores& in) const override {
    const Scored s = score(in, pref::ScoreReduction::Average);
    const at::Tensor d = pref::pairwise_differences(s.rewards);
    const at::Tensor off_target = d - 1 / (2 * options_.beta);
    return finish(s, pref::mean_over_negatives(at::pow(off_target, 2), s.rewards.mask), in);
  }
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_LOSS(IpoLoss, ipo)
