// The last step of every preference loss: the scalar to minimise from the per-example losses
// (preference_weight, and the NLL term weighted by cpo_alpha), and the PreferenceLoss a recipe
// logs TRL's metrics from.
#pragma once

#include <ATen/Tensor.h>

#include "wizard/base/export.hpp"
#include "wizard/plugin/loss.hpp"
#include "wizard/preference/answer_scores.hpp"

namespace wizard::preference {

struct LossWeights {
  double preference_weight = 1.0;  // multiplies the mean preference loss
  double cpo_alpha = 1.0;          // multiplies the NLL term; 0 leaves it out
};

// preference_weight * mean(losses) + cpo_alpha * nll_loss. At cpo_alpha = 0 the NLL is not
// read (TRL skips computing it), so an absent or NaN NLL does no harm; otherwise an absent one
// is an Error (the loss's requirements() must ask for it).
WIZARD_API at::Tensor weighted_loss(const at::Tensor& losses, const LossWeights& weights,
                                    const at::Tensor& nll_loss);

// The PreferenceLoss TRL reports: the weighted loss, `losses`, the scores before shaping
// (`scores`: logged as logps/*), rewards = beta * `rewards` (the shaped scores), the mask, and
// nll_loss when cpo_alpha != 0; all but `loss` and `losses` detached.
WIZARD_API PreferenceLoss assemble_preference_loss(const AnswerScores& scores,
                                                   const AnswerScores& rewards,
                                                   const at::Tensor& losses, double beta,
                                                   const LossWeights& weights,
                                                   const at::Tensor& nll_loss);

}  // namespace wizard::preference
