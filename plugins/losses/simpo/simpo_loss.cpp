// simpo: SimPO (Meng et al. 2024) as TRL's CPOTrainer computes loss_type "simpo":
// length-averaged log-probs, a target margin, and CPO's NLL term.
//
//   logp    = log p(completion | prompt) / completion tokens
//   r(x)    = x, or with alpha != 0 AlphaPO's (1 - exp(x)^(-alpha)) / alpha
//   logits  = r(logp_chosen) - r(logp_rejected) - simpo_gamma / beta
//   losses  = -(1 - ls) log sigmoid(beta * logits) - ls log sigmoid(-beta * logits)
//   loss    = mean(losses) + cpo_alpha * nll     (no NLL term at cpo_alpha = 0)
//   rewards = beta * r(logp)                     (logged only; no margin)
//
// Options (TRL's CPOConfig names and defaults): beta 0.1, label_smoothing (ls)
// 0.0, cpo_alpha 1.0, simpo_gamma 0.5, alpha 0.0. gamma_beta_ratio is the SimPO
// authors' spelling of the margin (simpo_gamma = gamma_beta_ratio * beta); set
// one of the two. See docs/losses.md.
#include "wizard/plugin/export.hpp"
#include "wizard/preference/cpo_loss_plugin.hpp"

namespace {

using wizard::preference::CpoLossSettings;
using wizard::preference::CpoLossType;

struct SimpoLoss : wizard::preference::CpoLossPlugin<SimpoLoss, CpoLossType::Simpo> {
  static constexpr const char* kSummary =
      "SimPO loss -log sigmoid(beta * margin - simpo_gamma) of averaged log-probs, plus NLL";
  using CpoLossPlugin::CpoLossPlugin;

  static at::Tensor losses(const at::Tensor& logits, const CpoLossSettings& s) {
    return wizard::preference::simpo_losses(logits, s);
  }
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_LOSS(SimpoLoss, simpo)
