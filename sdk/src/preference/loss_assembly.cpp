#include "wizard/preference/loss_assembly.hpp"

#include <ATen/ATen.h>
#include <spdlog/fmt/fmt.h>

#include "wizard/base/error.hpp"

namespace wizard::preference {

at::Tensor weighted_loss(const at::Tensor& losses, const LossWeights& weights,
                         const at::Tensor& nll_loss) {
  at::Tensor loss = losses.mean();
  if (weights.preference_weight != 1) loss = weights.preference_weight * loss;
  if (weights.cpo_alpha == 0) return loss;
  if (!nll_loss.defined()) {
    throw Error(fmt::format(
        "preference loss: cpo_alpha = {} weights the NLL term, but PreferenceScores.nll_loss is "
        "missing; the recipe must compute it when the loss's requirements() ask for it",
        weights.cpo_alpha));
  }
  return loss + weights.cpo_alpha * nll_loss;
}

PreferenceLoss assemble_preference_loss(const AnswerScores& scores, const AnswerScores& rewards,
                                        const at::Tensor& losses, double beta,
                                        const LossWeights& weights, const at::Tensor& nll_loss) {
  PreferenceLoss out;
  out.loss = weighted_loss(losses, weights, nll_loss);
  out.losses = losses;
  out.chosen_logps = scores.chosen.detach();
  out.negative_logps = scores.negatives.detach();
  out.chosen_rewards = (beta * rewards.chosen).detach();
  out.negative_rewards = (beta * rewards.negatives).detach();
  out.negative_mask = scores.mask;
  if (weights.cpo_alpha != 0) out.nll_loss = nll_loss.detach();
  return out;
}

}  // namespace wizard::preference
