// Embedding answers with a causal LM, for hard-negative mining: each sequence's last hidden
// state (after the final norm) mean-pooled over its answer tokens (they attend to its prompt),
// float32, without gradients, many sequences packed into each forward pass.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/preference/example_scoring.hpp"

namespace wizard::preference {

struct WIZARD_API AnswerEmbeddingOptions {
  // Tokens per forward pass (a longer sequence gets a pass of its own).
  int64_t max_tokens = 8192;
  // Called after each pass with the sequences embedded so far and the total.
  std::function<void(int64_t done, int64_t total)> progress;
};

// [N, hidden] float32 on the model's device: row n pools sequences[n]'s answer tokens (its
// last token when the answer is empty).
WIZARD_API at::Tensor embed_answers(const model::CausalLM& model,
                                    const std::vector<SequenceRef>& sequences,
                                    const AnswerEmbeddingOptions& options = {});

}  // namespace wizard::preference
