// log p(label | hidden) at selected positions through the LM head, in chunks:
// the [positions, vocab] logits never exist in full, in forward or backward.
//
//   logits_i = hidden_i · W^T              (W: the LM head, [V, H])
//   logp_i   = logits_i[label_i] - logsumexp(logits_i)     (in float32)
//
// Backward recomputes each chunk's logits instead of keeping them, so memory is
// one chunk of [chunk, V] floats at any time; d logp_i / d logits_i = onehot -
// softmax. The logits' row sums come along (no gradient) for the logits/*
// metrics.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

#include "wizard/base/export.hpp"

namespace wizard::preference {

struct SelectedLogprobs {
  at::Tensor logps;       // [N] float32, differentiable w.r.t. hidden and weight
  at::Tensor logit_sums;  // [N] float64: sum over the vocabulary of each row's logits
};

// hidden [N, H] and weight [V, H] in the model's dtype; labels [N] int64.
WIZARD_API SelectedLogprobs selected_logprobs(const at::Tensor& hidden, const at::Tensor& weight,
                                              const at::Tensor& labels, int64_t chunk_size = 1024);

}  // namespace wizard::preference
