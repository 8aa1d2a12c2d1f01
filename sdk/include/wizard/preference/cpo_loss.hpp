// The pieces of TRL's CPOTrainer.cpo_loss and get_batch_loss_metrics that
// every CPO-family loss shares, so a loss plugin only writes its per-pair
// formula (see cpo_loss_plugin.hpp and docs/losses.md).
//
// Everything runs in the inputs' dtype and on their device, as TRL does.
#pragma once

#include <ATen/Tensor.h>

#include "wizard/base/export.hpp"
#include "wizard/plugin/loss.hpp"
#include "wizard/preference/cpo_options.hpp"

namespace wizard::preference {

// TRL's policy_*_logps: the sum, or the sum divided by the token count.
// The division is done in at least float32 and rounded back to the sum's dtype.
WIZARD_API at::Tensor sequence_logps(const at::Tensor& logps_sum, const at::Tensor& tokens,
                                     LogpReduction reduction);

// AlphaPO's reward shape (Gupta et al. 2025): r = (1 - p^(-alpha)) / alpha with
// p = exp(logp); alpha = 0 gives logp itself. Computed as -expm1(-alpha*logp)/alpha,
// which is the same value without the underflow of exp(logp) for long completions.
WIZARD_API at::Tensor alphapo_reward(const at::Tensor& logps, double alpha);

// The per-pair quantities a CPO loss starts from.
struct CpoMargin {
  at::Tensor chosen_logps;     // [B] TRL's policy_chosen_logps (sums or averages)
  at::Tensor rejected_logps;   // [B]
  at::Tensor chosen_reward;    // [B] alphapo_reward(chosen_logps, alpha), before beta
  at::Tensor rejected_reward;  // [B]
  at::Tensor logits;           // [B] chosen_reward - rejected_reward (TRL calls it `logits`)
};

// Checks the shapes of `logps` (four [B] tensors) and builds the margin.
WIZARD_API CpoMargin cpo_margin(const PreferenceLogps& logps, LogpReduction reduction,
                                double alpha);

// -(1 - ls) log sigmoid(beta * logits) - ls log sigmoid(-beta * logits): the
// sigmoid loss with conservative label smoothing (CPO eq. 3 at ls = 0). The
// smoothing term is left out at ls = 0, so an infinite logit gives no NaN.
WIZARD_API at::Tensor sigmoid_losses(const at::Tensor& logits, double beta, double label_smoothing);

// SimPO as TRL computes it: sigmoid_losses(logits - gamma_logratios, beta, ls),
// the target margin taken off the logits (gamma_logratios = simpo_gamma / beta).
WIZARD_API at::Tensor simpo_losses(const at::Tensor& logits, const CpoLossSettings& settings);

// loss = mean(losses) + cpo_alpha * nll_loss. At cpo_alpha = 0 the NLL is not
// read (TRL skips computing it), so an absent or NaN NLL does no harm; otherwise
// an absent one is an Error.
WIZARD_API at::Tensor total_cpo_loss(const at::Tensor& losses, double cpo_alpha,
                                     const at::Tensor& nll_loss);

// The PreferenceLoss TRL reports: the total above, `losses`, the log-probs the
// loss scored and rewards = beta * reward, all but `loss` and `losses` detached;
// nll_loss set when cpo_alpha != 0.
WIZARD_API PreferenceLoss assemble_cpo_loss(const CpoMargin& margin, const at::Tensor& losses,
                                            double beta, double cpo_alpha,
                                            const at::Tensor& nll_loss);

}  // namespace wizard::preference
