// transformers' logits processors and warpers for one decoding step, on float32 scores
// [rows, vocab] of any device (generation/logits_process.py, v4.51).
#pragma once

#include <ATen/ATen.h>

#include <optional>

#include "wizard/model/generate.hpp"

namespace wizard::model {

// RepetitionPenaltyLogitsProcessor: where `seen` [rows, vocab] is set (the ids already in the
// row), a score s becomes s * penalty if s < 0, else s / penalty.
at::Tensor apply_repetition_penalty(const at::Tensor& scores, const at::Tensor& seen,
                                    double penalty);

// MinNewTokensLengthLogitsProcessor: the EOS ids' scores become -inf.
at::Tensor forbid_tokens(const at::Tensor& scores, const std::vector<int64_t>& ids);

// The sampling warpers in transformers' order: temperature, top_k, top_p, min_p (each only
// when it changes something).
at::Tensor warp_for_sampling(at::Tensor scores, const GenerationConfig& config);

// The next token of each row: the argmax, or a draw from softmax(scores) with `generator`.
at::Tensor choose_tokens(const at::Tensor& scores, bool sample,
                         const std::optional<at::Generator>& generator);

}  // namespace wizard::model
