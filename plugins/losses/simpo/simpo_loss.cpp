// simpo: SimPO (Meng et al. 2024) as TRL's CPOTrainer computes loss_type "simpo":
// length-averaged scores, a target margin, and CPO's NLL term. Per example, a chosen answer
// and K_i negatives k:
//
//   s       = log p(answer | prompt) / answer tokens (minus the reference model's, the same
//             average, when there is one)
//   r(s)    = s, or with alpha != 0 AlphaPO's (1 - exp(s)^(-alpha)) / alpha
//   z_k     = beta * (r(s+) - r(s-_k) - gamma / beta)          (gamma = simpo_gamma)
//   pairwise (default): L = mean_k -(1 - ls) log sigmoid(z_k) - ls log sigmoid(-z_k)
//   softmax:            L = -(1 - ls) log p_0 - (ls / K_i) sum_k log p_k,
//                       p = softmax(0, -z_1 / tau, ..., -z_K / tau)   (InfoNCE; K = 1: pairwise)
//   loss    = preference_weight * mean(L) + cpo_alpha * nll   (no NLL term at cpo_alpha = 0)
//   rewards = beta * r(s)                                     (logged only; no margin)
//
// Options: TRL's CPOConfig names and defaults — beta 0.1, label_smoothing (ls) 0.0,
// cpo_alpha 1.0, simpo_gamma 0.5, alpha 0.0 — and wizard's: multi_negative "pairwise",
// temperature (tau, softmax only) 1.0, preference_weight 1.0. The margin may instead be given
// as gamma_beta_ratio (the SimPO authors': gamma = ratio * beta) or margin; one of the three.
// See docs/losses.md.
#include "wizard/plugin/export.hpp"
#include "wizard/preference/cpo_family_loss.hpp"

namespace {

namespace pref = wizard::preference;

pref::LossOptionRules rules() {
  pref::LossOptionRules rules;
  rules.loss_name = "simpo";
  rules.margin = pref::MarginKey::simpo_gamma;
  return rules;
}

class SimpoLoss : public pref::CpoFamilyLoss {
 public:
  static constexpr const char* kSummary =
      "SimPO loss -log sigmoid(beta * margin - simpo_gamma) of averaged log-probs, plus NLL";
  static wizard::OptionDocs options() { return pref::loss_option_docs(rules()); }

  SimpoLoss(const wizard::Config& config, wizard::PluginHost& /*host*/)
      : CpoFamilyLoss(config, rules()) {}

  wizard::PreferenceLoss compute(const wizard::PreferenceScores& in) const override {
    const Scored s = score(in, pref::ScoreReduction::Average);
    return finish(s, sigmoid_losses(s), in);
  }
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_LOSS(SimpoLoss, simpo)
