// The first steps of every preference loss: from the log-prob sums a recipe measured
// (PreferenceScores) to one score per answer, s+ for the chosen answer and s-_k for each
// negative, and AlphaPO's reward shape r(s). A loss picks the reduction; docs/losses.md.
//
// Everything runs in the inputs' dtype and on their device, as TRL does.
#pragma once

#include <ATen/Tensor.h>

#include "wizard/base/export.hpp"
#include "wizard/plugin/loss.hpp"

namespace wizard::preference {

// How an answer's token log-probs become its score: their sum, or their mean over the answer's
// tokens (TRL's average_log_prob, which ipo and simpo use).
enum class ScoreReduction { Sum, Average };

// The sum, or the sum divided by the token count ([B] or [B, K] alike). The division is done in
// at least float32 (counts above 256 are not exact in bfloat16) and rounded back to the sum's
// dtype.
WIZARD_API at::Tensor reduce_logps(const at::Tensor& logps_sum, const at::Tensor& tokens,
                                   ScoreReduction reduction);

// AlphaPO's reward shape (Gupta et al. 2025): r(s) = (1 - exp(s)^(-alpha)) / alpha; alpha = 0
// gives s itself. Computed as -expm1(-alpha * s) / alpha, the same value without the underflow
// of exp(s) for long answers.
WIZARD_API at::Tensor alphapo_reward(const at::Tensor& scores, double alpha);

// One score per answer of a micro-batch.
struct AnswerScores {
  at::Tensor chosen;     // [B] s+
  at::Tensor negatives;  // [B, K] s-_k; 0 where the mask is false
  at::Tensor mask;       // [B, K] bool: which negatives exist
};

// Checks that `scores` has the shapes PreferenceScores promises ([B]; [B, K] with a bool mask
// whose every row has a true entry; both reference tensors or neither) and throws an Error naming
// the tensor otherwise. Reads the mask once (a device sync).
WIZARD_API void check_preference_scores(const PreferenceScores& scores);

// Checks `scores`, then reduces every answer's log-probs with `reduction`; with reference sums
// present, subtracts the reference's score under the same reduction (s - s_ref: with the sigmoid
// loss this is DPO). Masked negatives score 0 whatever their sums and token counts hold (no
// NaN, not even in the gradient).
WIZARD_API AnswerScores answer_scores(const PreferenceScores& scores, ScoreReduction reduction);

// alphapo_reward of every score (masked negatives stay 0).
WIZARD_API AnswerScores alphapo_rewards(const AnswerScores& scores, double alpha);

// The PreferenceScores of B pairs (K = 1): each example's one rejected answer is its only
// negative. No reference.
WIZARD_API PreferenceScores one_negative_scores(const at::Tensor& chosen_logps_sum,
                                                const at::Tensor& chosen_tokens,
                                                const at::Tensor& rejected_logps_sum,
                                                const at::Tensor& rejected_tokens,
                                                const at::Tensor& nll_loss);

}  // namespace wizard::preference
