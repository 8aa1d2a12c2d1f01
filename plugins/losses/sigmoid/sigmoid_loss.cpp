// sigmoid: the CPO loss (Xu et al. 2024, eq. 3), TRL CPOTrainer loss_type "sigmoid"; with a
// reference model it is DPO (Rafailov et al. 2023). Per example, a chosen answer and K_i
// negatives k:
//
//   s       = log p(answer | prompt), summed over the answer tokens (minus the reference
//             model's sum when there is one)
//   r(s)    = s, or with alpha != 0 AlphaPO's (1 - exp(s)^(-alpha)) / alpha
//   z_k     = beta * (r(s+) - r(s-_k)) - margin
//   pairwise (default): L = mean_k -(1 - ls) log sigmoid(z_k) - ls log sigmoid(-z_k)
//   softmax:            L = -(1 - ls) log p_0 - (ls / K_i) sum_k log p_k,
//                       p = softmax(0, -z_1 / tau, ..., -z_K / tau)   (InfoNCE; K = 1: pairwise)
//   loss    = preference_weight * mean(L) + cpo_alpha * nll   (no NLL term at cpo_alpha = 0)
//   rewards = beta * r(s)                                     (logged only)
//
// Options: TRL's CPOConfig names and defaults — beta 0.1, label_smoothing (ls) 0.0 in
// [0, 0.5), cpo_alpha 1.0, alpha 0.0 — and wizard's: margin 0.0, multi_negative "pairwise",
// temperature (tau, softmax only) 1.0, preference_weight 1.0. See docs/losses.md.
#include "wizard/plugin/export.hpp"
#include "wizard/preference/cpo_family_loss.hpp"

namespace {

namespace pref = wizard::preference;

pref::LossOptionRules rules() {
  pref::LossOptionRules rules;
  rules.loss_name = "sigmoid";
  return rules;
}

class SigmoidLoss : public pref::CpoFamilyLoss {
 public:
  static constexpr const char* kSummary =
      "CPO loss -log sigmoid(beta * margin) of summed log-probs, plus NLL (DPO with a reference)";
  static wizard::OptionDocs options() { return pref::loss_option_docs(rules()); }

  SigmoidLoss(const wizard::Config& config, wizard::PluginHost& /*host*/)
      : CpoFamilyLoss(config, rules()) {}

  wizard::PreferenceLoss compute(const wizard::PreferenceScores& in) const override {
    const Scored s = score(in, pref::ScoreReduction::Sum);
    return finish(s, sigmoid_losses(s), in);
  }
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_LOSS(SigmoidLoss, sigmoid)
