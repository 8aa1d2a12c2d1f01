#include "wizard/preference/cpo_loss.hpp"

#include <ATen/ATen.h>
#include <spdlog/fmt/fmt.h>

#include <string>

#include "wizard/base/error.hpp"

namespace wizard::preference {

namespace {

std::string shape_of(const at::Tensor& tensor) {
  return tensor.defined() ? c10::str(tensor.sizes()) : "(missing)";
}

// Every per-pair input must be [B] with the same B: one value per preference pair.
void check_pair_tensor(const char* name, const at::Tensor& tensor, const at::Tensor& reference) {
  if (tensor.defined() && tensor.dim() == 1 && tensor.size(0) == reference.size(0)) return;
  throw Error(fmt::format(
      "preference loss: {} has shape {} but chosen_logps_sum has shape {}; every PreferenceLogps "
      "tensor must be [B], one value per pair (the recipe that built them has a bug)",
      name, shape_of(tensor), shape_of(reference)));
}

}  // namespace

at::Tensor sequence_logps(const at::Tensor& logps_sum, const at::Tensor& tokens,
                          LogpReduction reduction) {
  if (reduction == LogpReduction::Sum) return logps_sum;
  // Counts above 256 are not exact in bfloat16: divide in float32 (or float64).
  const at::ScalarType dtype = logps_sum.scalar_type();
  const at::ScalarType compute = dtype == at::kDouble ? at::kDouble : at::kFloat;
  return (logps_sum.to(compute) / tokens.to(compute)).to(dtype);
}

at::Tensor alphapo_reward(const at::Tensor& logps, double alpha) {
  if (alpha == 0) return logps;
  // (1 - exp(logp)^(-alpha)) / alpha = -expm1(-alpha * logp) / alpha
  return at::expm1(-alpha * logps) / -alpha;
}

CpoMargin cpo_margin(const PreferenceLogps& logps, LogpReduction reduction, double alpha) {
  const at::Tensor& reference = logps.chosen_logps_sum;
  if (!reference.defined() || reference.dim() != 1) {
    throw Error(fmt::format(
        "preference loss: chosen_logps_sum has shape {}; it must be [B], one value per pair "
        "(the recipe that built PreferenceLogps has a bug)",
        shape_of(reference)));
  }
  check_pair_tensor("rejected_logps_sum", logps.rejected_logps_sum, reference);
  if (reduction == LogpReduction::Average) {
    check_pair_tensor("chosen_tokens", logps.chosen_tokens, reference);
    check_pair_tensor("rejected_tokens", logps.rejected_tokens, reference);
  }
  CpoMargin margin;
  margin.chosen_logps = sequence_logps(logps.chosen_logps_sum, logps.chosen_tokens, reduction);
  margin.rejected_logps =
      sequence_logps(logps.rejected_logps_sum, logps.rejected_tokens, reduction);
  margin.chosen_reward = alphapo_reward(margin.chosen_logps, alpha);
  margin.rejected_reward = alphapo_reward(margin.rejected_logps, alpha);
  margin.logits = margin.chosen_reward - margin.rejected_reward;
  return margin;
}

at::Tensor sigmoid_losses(const at::Tensor& logits, double beta, double label_smoothing) {
  const at::Tensor agree = -at::log_sigmoid(beta * logits);
  if (label_smoothing == 0) return agree;
  return agree * (1 - label_smoothing) - at::log_sigmoid(-beta * logits) * label_smoothing;
}

at::Tensor simpo_losses(const at::Tensor& logits, const CpoLossSettings& settings) {
  return sigmoid_losses(logits - settings.gamma_logratios, settings.beta, settings.label_smoothing);
}

at::Tensor total_cpo_loss(const at::Tensor& losses, double cpo_alpha, const at::Tensor& nll_loss) {
  const at::Tensor mean = losses.mean();
  if (cpo_alpha == 0) return mean;
  if (!nll_loss.defined()) {
    throw Error(fmt::format(
        "preference loss: cpo_alpha = {} weights the NLL term, but PreferenceLogps.nll_loss is "
        "missing; the recipe must compute it (or set cpo_alpha = 0)",
        cpo_alpha));
  }
  return mean + cpo_alpha * nll_loss;
}

PreferenceLoss assemble_cpo_loss(const CpoMargin& margin, const at::Tensor& losses, double beta,
                                 double cpo_alpha, const at::Tensor& nll_loss) {
  PreferenceLoss out;
  out.loss = total_cpo_loss(losses, cpo_alpha, nll_loss);
  out.losses = losses;
  out.chosen_logps = margin.chosen_logps.detach();
  out.rejected_logps = margin.rejected_logps.detach();
  out.chosen_rewards = (beta * margin.chosen_reward).detach();
  out.rejected_rewards = (beta * margin.rejected_reward).detach();
  if (cpo_alpha != 0) out.nll_loss = nll_loss.detach();
  return out;
}

}  // namespace wizard::preference
