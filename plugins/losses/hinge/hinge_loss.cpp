// hinge: the SLiC hinge loss (Zhao et al. 2023) on CPO's margin, TRL CPOTrainer
// loss_type "hinge".
//
//   logp    = log p(completion | prompt), summed over the completion tokens
//   r(x)    = x, or with alpha != 0 AlphaPO's (1 - exp(x)^(-alpha)) / alpha
//   logits  = r(logp_chosen) - r(logp_rejected)
//   losses  = max(0, 1 - beta * logits)
//   loss    = mean(losses) + cpo_alpha * nll     (no NLL term at cpo_alpha = 0)
//   rewards = beta * r(logp)                     (logged only)
//
// Options (TRL's CPOConfig names and defaults): beta 0.1 (the margin is 1/beta),
// cpo_alpha 1.0, alpha 0.0; label_smoothing is accepted and ignored with a
// warning, as TRL does. See docs/losses.md.
#include <ATen/ATen.h>

#include "wizard/plugin/export.hpp"
#include "wizard/preference/cpo_loss_plugin.hpp"

namespace {

using wizard::preference::CpoLossSettings;
using wizard::preference::CpoLossType;

struct HingeLoss : wizard::preference::CpoLossPlugin<HingeLoss, CpoLossType::Hinge> {
  static constexpr const char* kSummary =
      "CPO hinge loss max(0, 1 - beta * margin) of summed log-probs, plus the NLL term";
  using CpoLossPlugin::CpoLossPlugin;

  static at::Tensor losses(const at::Tensor& logits, const CpoLossSettings& s) {
    return at::relu(1 - s.beta * logits);
  }
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_LOSS(HingeLoss, hinge)
