// Per-example preference losses over a chosen answer and its K negatives (a mask says which
// exist): the pieces a loss plugin composes into its formula (docs/losses.md).
//
//   pairwise: L_i = mean over valid k of f(z_ik), z_ik = beta (d_ik - gamma / beta),
//             d_ik = r(s+_i) - r(s-_ik)   (f: the loss's own function of one pair)
//   softmax:  InfoNCE over the chosen answer and its valid negatives at temperature tau,
//             z0 = (beta r(s+) - gamma) / tau, zk = beta r(s-_k) / tau
//
// With K = 1 both are TRL's pair losses, computed with the same operations (so the same
// roundings) as TRL's CPOTrainer.cpo_loss.
#pragma once

#include <ATen/Tensor.h>

#include "wizard/base/export.hpp"
#include "wizard/preference/answer_scores.hpp"

namespace wizard::preference {

// How a loss combines an example's K negatives.
enum class MultiNegative { pairwise, softmax };

// [B, K]: d_ik = chosen_i - negatives_ik (TRL's `logits` for one pair). Masked entries hold
// chosen_i; every reduction below leaves them out.
WIZARD_API at::Tensor pairwise_differences(const AnswerScores& rewards);

// [B, K]: beta * (d_ik - gamma_over_beta), TRL's `beta * logits` with SimPO's margin taken off
// (gamma_over_beta = gamma / beta, TRL's gamma_logratios; 0 = no margin).
WIZARD_API at::Tensor pairwise_logits(const AnswerScores& rewards, double beta,
                                      double gamma_over_beta);

// -(1 - eps) log sigmoid(z) - eps log sigmoid(-z), elementwise: the sigmoid loss with
// conservative label smoothing eps (CPO eq. 3 at eps = 0). The smoothing term is left out at
// eps = 0, so an infinite z gives no NaN.
WIZARD_API at::Tensor smoothed_sigmoid_losses(const at::Tensor& z, double label_smoothing);

// [B, K] -> [B]: the mean over each example's valid negatives (masked entries, even NaN or
// infinite ones, neither count nor pass gradients).
WIZARD_API at::Tensor mean_over_negatives(const at::Tensor& per_negative, const at::Tensor& mask);

// [B]: the softmax (InfoNCE) loss from the pairwise logits z = pairwise_logits(...):
// with p = softmax(0, -z_i1 / tau, ..., -z_iK / tau) over the valid negatives (the chosen
// answer first; softmax(z0, z1, ...) of the formula above, shifted by z0),
//   L_i = -(1 - eps) log p_0 - (eps / K_i) sum_k log p_k.
// log p is computed with log1p, so that at K = 1, tau = 1 it equals TRL's sigmoid loss to the
// last bit's rounding (a plain log-softmax loses e^-z next to 1).
WIZARD_API at::Tensor softmax_losses(const at::Tensor& z, const at::Tensor& mask,
                                     double temperature, double label_smoothing);

// [B]: the sigmoid loss over K negatives: pairwise, the mean over valid k of
// smoothed_sigmoid_losses(z_k); softmax, softmax_losses (at K = 1, tau = 1 the same loss).
WIZARD_API at::Tensor sigmoid_preference_losses(const at::Tensor& z, const at::Tensor& mask,
                                                MultiNegative mode, double temperature,
                                                double label_smoothing);

}  // namespace wizard::preference
