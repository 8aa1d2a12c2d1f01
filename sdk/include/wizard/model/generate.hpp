// Greedy decoding: the most likely next token, one at a time, until an end
// token or a length limit. For evaluation (exact-match accuracy) and smoke
// tests; it recomputes the whole sequence each step (no KV cache), which is
// fine for short answers and small models.
#pragma once

#include <cstdint>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/model/causal_lm.hpp"

namespace wizard::model {

struct WIZARD_API GreedyOptions {
  int64_t max_new_tokens = 32;
  std::vector<int64_t>
      stop_ids;  // generation ends after emitting one of these (kept in the output)
};

// The tokens generated after each prompt (prompts of any lengths, decoded as
// one left-padded batch). Runs without gradients.
WIZARD_API std::vector<std::vector<int32_t>> generate_greedy(
    const CausalLM& model, const std::vector<std::vector<int32_t>>& prompts,
    const GreedyOptions& options);

}  // namespace wizard::model
