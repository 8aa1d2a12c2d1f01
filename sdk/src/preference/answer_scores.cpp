#include "wizard/preference/answer_scores.hpp"

#include <ATen/ATen.h>
#include <spdlog/fmt/fmt.h>

#include <string>

#include "wizard/base/error.hpp"

namespace wizard::preference {

namespace {

std::string shape_of(const at::Tensor& tensor) {
  return tensor.defined() ? c10::str(tensor.sizes()) : "(missing)";
}

[[noreturn]] void bad_scores(const std::string& what) {
  throw Error("preference loss: " + what +
              " (the recipe that built PreferenceScores has a bug; see wizard/plugin/loss.hpp)");
}

void check_shape(const char* name, const at::Tensor& tensor, at::IntArrayRef expected) {
  if (tensor.defined() && tensor.sizes() == expected) return;
  bad_scores(
      fmt::format("{} has shape {}, expected {}", name, shape_of(tensor), c10::str(expected)));
}

}  // namespace

at::Tensor reduce_logps(const at::Tensor& logps_sum, const at::Tensor& tokens,
                        ScoreReduction reduction) {
  if (reduction == ScoreReduction::Sum) return logps_sum;
  const at::ScalarType dtype = logps_sum.scalar_type();
  const at::ScalarType compute = dtype == at::kDouble ? at::kDouble : at::kFloat;
  return (logps_sum.to(compute) / tokens.to(compute)).to(dtype);
}

at::Tensor alphapo_reward(const at::Tensor& scores, double alpha) {
  if (alpha == 0) return scores;
  // (1 - exp(s)^(-alpha)) / alpha = -expm1(-alpha * s) / alpha
  return at::expm1(-alpha * scores) / -alpha;
}

void check_preference_scores(const PreferenceScores& scores) {
  const at::Tensor& chosen = scores.chosen_logps_sum;
  if (!chosen.defined() || chosen.dim() != 1) {
    bad_scores(fmt::format("chosen_logps_sum has shape {}; it must be [B], one value per example",
                           shape_of(chosen)));
  }
  const at::Tensor& mask = scores.negative_mask;
  if (!mask.defined() || mask.dim() != 2 || mask.size(0) != chosen.size(0) || mask.size(1) < 1) {
    bad_scores(
        fmt::format("negative_mask has shape {} but chosen_logps_sum has shape {}; it must "
                    "be [B, K] with K >= 1",
                    shape_of(mask), shape_of(chosen)));
  }
  if (mask.scalar_type() != at::kBool) {
    bad_scores(fmt::format("negative_mask has dtype {}; it must be bool",
                           c10::toString(mask.scalar_type())));
  }
  const at::IntArrayRef one = chosen.sizes();
  const at::IntArrayRef per_negative = mask.sizes();
  check_shape("chosen_tokens", scores.chosen_tokens, one);
  check_shape("negative_logps_sum", scores.negative_logps_sum, per_negative);
  check_shape("negative_tokens", scores.negative_tokens, per_negative);
  const bool chosen_reference = scores.reference_chosen_logps_sum.defined();
  if (chosen_reference != scores.reference_negative_logps_sum.defined()) {
    bad_scores("only one of reference_chosen_logps_sum and reference_negative_logps_sum is set");
  }
  if (chosen_reference) {
    check_shape("reference_chosen_logps_sum", scores.reference_chosen_logps_sum, one);
    check_shape("reference_negative_logps_sum", scores.reference_negative_logps_sum, per_negative);
  }
  if (chosen.size(0) > 0 && !mask.any(1).all().item<bool>()) {
    bad_scores("an example has no negative (a row of negative_mask is all false)");
  }
}

AnswerScores answer_scores(const PreferenceScores& scores, ScoreReduction reduction) {
  check_preference_scores(scores);
  AnswerScores out;
  out.mask = scores.negative_mask;
  // Masked entries count as 0 over 1 token, whatever they hold: 0 tokens would make a mean
  // 0/0, and its gradient would reach the model as NaN even through a mask.
  const at::Tensor invalid = out.mask.logical_not();
  const at::Tensor negative_tokens = scores.negative_tokens.masked_fill(invalid, 1);
  const auto negative_score = [&](const at::Tensor& sums) {
    return reduce_logps(sums.masked_fill(invalid, 0), negative_tokens, reduction);
  };
  out.chosen = reduce_logps(scores.chosen_logps_sum, scores.chosen_tokens, reduction);
  out.negatives = negative_score(scores.negative_logps_sum);
  if (scores.reference_chosen_logps_sum.defined()) {
    out.chosen = out.chosen -
                 reduce_logps(scores.reference_chosen_logps_sum, scores.chosen_tokens, reduction);
    out.negatives = out.negatives - negative_score(scores.reference_negative_logps_sum);
  }
  return out;
}

AnswerScores alphapo_rewards(const AnswerScores& scores, double alpha) {
  if (alpha == 0) return scores;
  // r(0) = 0: masked negatives stay 0.
  return {alphapo_reward(scores.chosen, alpha), alphapo_reward(scores.negatives, alpha),
          scores.mask};
}

PreferenceScores one_negative_scores(const at::Tensor& chosen_logps_sum,
                                     const at::Tensor& chosen_tokens,
                                     const at::Tensor& rejected_logps_sum,
                                     const at::Tensor& rejected_tokens,
                                     const at::Tensor& nll_loss) {
  PreferenceScores scores;
  scores.chosen_logps_sum = chosen_logps_sum;
  scores.chosen_tokens = chosen_tokens;
  scores.negative_logps_sum = rejected_logps_sum.unsqueeze(1);
  scores.negative_tokens = rejected_tokens.unsqueeze(1);
  scores.negative_mask =
      at::ones({rejected_logps_sum.size(0), 1}, rejected_logps_sum.options().dtype(at::kBool));
  scores.nll_loss = nll_loss;
  return scores;
}

}  // namespace wizard::preference
