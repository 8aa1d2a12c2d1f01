// sigmoid: the CPO loss (Xu et al. 2024, eq. 3), TRL CPOTrainer loss_type "sigmoid".
//
//   logp    = log p(completion | prompt), summed over the completion tokens
//   r(x)    = x, or with alpha != 0 AlphaPO's (1 - exp(x)^(-alpha)) / alpha
//   logits  = r(logp_chosen) - r(logp_rejected)
//   losses  = -(1 - ls) log sigmoid(beta * logits) - ls log sigmoid(-beta * logits)
//   loss    = mean(losses) + cpo_alpha * nll     (no NLL term at cpo_alpha = 0)
//   rewards = beta * r(logp)                     (logged only)
//
// Options (TRL's CPOConfig names and defaults): beta 0.1, label_smoothing (ls) 0.0
// in [0, 0.5), cpo_alpha 1.0, alpha 0.0. See docs/losses.md.
#include "wizard/plugin/export.hpp"
#include "wizard/preference/cpo_loss_plugin.hpp"

namespace {

using wizard::preference::CpoLossSettings;
using wizard::preference::CpoLossType;

struct SigmoidLoss : wizard::preference::CpoLossPlugin<SigmoidLoss, CpoLossType::Sigmoid> {
  static constexpr const char* kSummary =
      "CPO loss -log sigmoid(beta * margin) of summed log-probs, plus the NLL term";
  using CpoLossPlugin::CpoLossPlugin;

  static at::Tensor losses(const at::Tensor& logits, const CpoLossSettings& s) {
    return wizard::preference::sigmoid_losses(logits, s.beta, s.label_smoothing);
  }
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_LOSS(SigmoidLoss, sigmoid)
