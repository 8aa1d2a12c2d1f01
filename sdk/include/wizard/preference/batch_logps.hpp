// TRL's log-prob path as a reference: CPOTrainer.get_batch_logps and the NLL
// of concatenated_forward on a padded, concatenated batch with full-vocabulary
// logits. Simple and slow on purpose; the production path (packed, shared
// prefix, LM head at completion positions only) is tested against it.
//
// Conventions as TRL's: logits [B, T, V]; labels [B, T] with
// `label_pad_token_id` (-100) on prompt and padding; position t predicts label
// t+1; rows chosen_0..chosen_{n-1}, rejected_0..rejected_{n-1}. Computed in the
// logits' dtype (TRL's selective_log_softmax: logit - logsumexp for float32 and
// float64, a per-row log_softmax for half precision).
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>

#include "wizard/base/export.hpp"
#include "wizard/plugin/loss.hpp"
#include "wizard/preference/metrics.hpp"

namespace wizard::preference {

inline constexpr int64_t kLabelPadTokenId = -100;

// log softmax(logits)[index] over the last dimension, as TRL's selective_log_softmax.
WIZARD_API at::Tensor selective_log_softmax(const at::Tensor& logits, const at::Tensor& index);

// [B]: the sum (or per-token mean) of log p(label t+1 | logits t) over scored labels.
WIZARD_API at::Tensor get_batch_logps(const at::Tensor& logits, const at::Tensor& labels,
                                      bool average_log_prob,
                                      int64_t label_pad_token_id = kLabelPadTokenId);

// [B] float32: how many labels of each row are scored (the shifted labels that
// are not padding).
WIZARD_API at::Tensor scored_token_counts(const at::Tensor& labels,
                                          int64_t label_pad_token_id = kLabelPadTokenId);

// TRL's NLL: cross entropy of the shifted logits of the first `n_chosen` rows,
// padding ignored, averaged over all their scored tokens. Scalar, logits' dtype.
WIZARD_API at::Tensor chosen_nll_loss(const at::Tensor& logits, const at::Tensor& labels,
                                      int64_t n_chosen,
                                      int64_t label_pad_token_id = kLabelPadTokenId);

// What a recipe hands to a Loss for a concatenated batch of B = 2n rows: n examples with one
// negative each (K = 1), and the NLL.
WIZARD_API PreferenceScores
concatenated_preference_scores(const at::Tensor& logits, const at::Tensor& labels,
                               int64_t label_pad_token_id = kLabelPadTokenId);

// wizard's logits/* metric inputs from full logits: sums over the completion
// positions of the chosen and rejected halves, in float64.
WIZARD_API CompletionLogitSums completion_logit_sums(const at::Tensor& logits,
                                                     const at::Tensor& labels,
                                                     int64_t label_pad_token_id = kLabelPadTokenId);

}  // namespace wizard::preference
