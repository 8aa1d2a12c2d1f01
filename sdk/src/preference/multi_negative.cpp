#include "wizard/preference/multi_negative.hpp"

#include <ATen/ATen.h>

#include <limits>
#include <tuple>

namespace wizard::preference {

at::Tensor pairwise_differences(const AnswerScores& rewards) {
  return rewards.chosen.unsqueeze(1) - rewards.negatives;
}

at::Tensor pairwise_logits(const AnswerScores& rewards, double beta, double gamma_over_beta) {
  const at::Tensor differences = pairwise_differences(rewards);
  if (gamma_over_beta == 0) return beta * differences;
  return beta * (differences - gamma_over_beta);
}

at::Tensor smoothed_sigmoid_losses(const at::Tensor& z, double label_smoothing) {
  const at::Tensor agree = -at::log_sigmoid(z);
  if (label_smoothing == 0) return agree;
  return agree * (1 - label_smoothing) - at::log_sigmoid(-z) * label_smoothing;
}

at::Tensor mean_over_negatives(const at::Tensor& per_negative, const at::Tensor& mask) {
  const at::Tensor valid = per_negative.masked_fill(mask.logical_not(), 0);
  return valid.sum(1) / mask.sum(1).to(per_negative.scalar_type());
}

at::Tensor softmax_losses(const at::Tensor& z, const at::Tensor& mask, double temperature,
                          double label_smoothing) {
  // Each answer's logit minus the chosen answer's: 0 for it, -z_k / tau for negative k.
  const at::Tensor scaled = temperature == 1 ? z : z / temperature;
  const at::Tensor negatives =
      (-scaled).masked_fill(mask.logical_not(), -std::numeric_limits<double>::infinity());
  const at::Tensor logits = at::cat({at::zeros({z.size(0), 1}, z.options()), negatives}, 1);
  // log p = (x - max) - log(sum exp(x - max)). The largest term of that sum is exactly 1:
  // log1p of the others keeps what log(1 + tiny) would round away.
  at::Tensor top;
  at::Tensor top_index;
  std::tie(top, top_index) = logits.max(1, /*keepdim=*/true);
  const at::Tensor shifted = logits - top;
  const at::Tensor others = shifted.exp().scatter(1, top_index, 0).sum(1, /*keepdim=*/true);
  const at::Tensor log_p = shifted - at::log1p(others);
  const at::Tensor chosen_loss = -log_p.select(1, 0);
  if (label_smoothing == 0) return chosen_loss;
  const at::Tensor negative_log_p = mean_over_negatives(log_p.narrow(1, 1, z.size(1)), mask);
  return chosen_loss * (1 - label_smoothing) - negative_log_p * label_smoothing;
}

at::Tensor sigmoid_preference_losses(const at::Tensor& z, const at::Tensor& mask,
                                     MultiNegative mode, double temperature,
                                     double label_smoothing) {
  if (mode == MultiNegative::softmax) return softmax_losses(z, mask, temperature, label_smoothing);
  return mean_over_negatives(smoothed_sigmoid_losses(z, label_smoothing), mask);
}

}  // namespace wizard::preference
