// ipo: the IPO loss (Azar et al. 2023, eq. 17) on CPO's margin, TRL CPOTrainer
// loss_type "ipo". Scores per-token averaged log-probs, as TRL does.
//
//   logp    = log p(completion | prompt) / completion tokens
//   r(x)    = x, or with alpha != 0 AlphaPO's (1 - exp(x)^(-alpha)) / alpha
//   logits  = r(logp_chosen) - r(logp_rejected)
//   losses  = (logits - 1 / (2 beta))^2
//   loss    = mean(losses) + cpo_alpha * nll     (no NLL term at cpo_alpha = 0)
//   rewards = beta * r(logp)                     (logged only)
//
// Options (TRL's CPOConfig names and defaults): beta 0.1 (IPO's tau), cpo_alpha
// 1.0, alpha 0.0; label_smoothing is accepted and ignored with a warning, as
// TRL does. See docs/losses.md.
#include <ATen/ATen.h>

#include "wizard/plugin/export.hpp"
#include "wizard/preference/cpo_loss_plugin.hpp"

namespace {

using wizard::preference::CpoLossSettings;
using wizard::preference::CpoLossType;

struct IpoLoss : wizard::preference::CpoLossPlugin<IpoLoss, CpoLossType::Ipo> {
  static constexpr const char* kSummary =
      "CPO IPO loss (margin - 1/(2 beta))^2 of averaged log-probs, plus the NLL term";
  using CpoLossPlugin::CpoLossPlugin;

  static at::Tensor losses(const at::Tensor& logits, const CpoLossSettings& s) {
    return at::pow(logits - 1 / (2 * s.beta), 2);
  }
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_LOSS(IpoLoss, ipo)
