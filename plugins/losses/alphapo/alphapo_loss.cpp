// alphapo: AlphaPO (Gupta et al. 2025) as TRL's CPOConfig defines loss_type
// "alphapo": the simpo loss with cpo_alpha forced to 0 (no NLL term). The
// reward shape itself is the `alpha` option, which every CPO loss accepts.
//
//   logp    = log p(completion | prompt) / completion tokens
//   r(x)    = (1 - exp(x)^(-alpha)) / alpha, or x at alpha = 0 (TRL's default)
//   logits  = r(logp_chosen) - r(logp_rejected) - simpo_gamma / beta
//   losses  = -(1 - ls) log sigmoid(beta * logits) - ls log sigmoid(-beta * logits)
//   loss    = mean(losses)
//   rewards = beta * r(logp)                     (logged only; no margin)
//
// Options (TRL's CPOConfig names and defaults): beta 0.1, label_smoothing (ls)
// 0.0, simpo_gamma 0.5 or gamma_beta_ratio, alpha 0.0; cpo_alpha is accepted
// and ignored (a warning when not 0). See docs/losses.md.
#include "wizard/plugin/export.hpp"
#include "wizard/preference/cpo_loss_plugin.hpp"

namespace {

using wizard::preference::CpoLossSettings;
using wizard::preference::CpoLossType;

struct AlphaPOLoss : wizard::preference::CpoLossPlugin<AlphaPOLoss, CpoLossType::AlphaPO> {
  static constexpr const char* kSummary =
      "AlphaPO: SimPO with reward shape alpha and no NLL term (TRL's loss_type alphapo)";
  using CpoLossPlugin::CpoLossPlugin;

  static at::Tensor losses(const at::Tensor& logits, const CpoLossSettings& s) {
    return wizard::preference::simpo_losses(logits, s);
  }
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_LOSS(AlphaPOLoss, alphapo)
