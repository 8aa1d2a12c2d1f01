// alphapo: AlphaPO (Gupta et al. 2025) as TRL's CPOConfig defines loss_type "alphapo": the
// simpo loss without the NLL term. The reward shape itself is the `alpha` option, which every
// loss here accepts. Per example, a chosen answer and K_i negatives k:
//
//   s       = log p(answer | prompt) / answer tokens (minus the reference model's, the same
//             average, when there is one)
//   r(s)    = (1 - exp(s)^(-alpha)) / alpha, or s at alpha = 0 (TRL's default)
//   z_k     = beta * (r(s+) - r(s-_k) - gamma / beta)          (gamma = simpo_gamma)
//   pairwise (default): L = mean_k -(1 - ls) log sigmoid(z_k) - ls log sigmoid(-z_k)
//   softmax:            L = -(1 - ls) log p_0 - (ls / K_i) sum_k log p_k,
//                       p = softmax(0, -z_1 / tau, ..., -z_K / tau)   (InfoNCE; K = 1: pairwise)
//   loss    = preference_weight * mean(L)                     (never an NLL term)
//   rewards = beta * r(s)                                     (logged only; no margin)
//
// Options: as simpo's; cpo_alpha is accepted and ignored (a warning when not 0), as TRL's
// CPOConfig sets it to 0. See docs/losses.md.
#include "wizard/plugin/export.hpp"
#include "wizard/preference/cpo_family_loss.hpp"

namespace {

namespace pref = wizard::preference;

pref::LossOptionRules rules() {
  pref::LossOptionRules rules;
  rules.loss_name = "alphapo";
  rules.margin = pref::MarginKey::simpo_gamma;
  rules.nll = false;
  return rules;
}

class AlphaPOLoss : public pref::CpoFamilyLoss {
 public:
  static constexpr const char* kSummary =
      "AlphaPO: SimPO with reward shape alpha and no NLL term (TRL's loss_type alphapo)";
  static wizard::OptionDocs options() { return pref::loss_option_docs(rules()); }

  AlphaPOLoss(const wizard::Config& config, wizard::PluginHost& /*host*/)
      : CpoFamilyLoss(config, rules()) {}

  wizard::PreferenceLoss compute(const wizard::PreferenceScores& in) const override {
    const Scored s = score(in, pref::ScoreReduction::Average);
    return finish(s, sigmoid_losses(s), in);
  }
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_LOSS(AlphaPOLoss, alphapo)
