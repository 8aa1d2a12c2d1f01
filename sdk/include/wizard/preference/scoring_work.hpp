// How much work scoring one micro-batch of preference pairs takes, and the model FLOPs of a
// training step over it (forward + backward), for throughput and utilisation figures
// (`wizard bench`, docs/performance.md).
//
// With N the non-embedding parameters, V x H the LM head, L layers, d = heads x head_dim:
//
//   flops = 6 N T                 every computed position: forward 2 N, backward 4 N
//         + 6 V H P               the LM head at its P positions
//         + 12 L d A              causal attention over A (query, key) pairs: QK^T and PV,
//                                 2 d each forward, twice that backward
//
// T counts the positions the layout computes, padding included (the baseline's padding is
// work its layout chose to do); useful work is what tokens_real measures. Recomputation
// (gradient checkpointing, a second pass of the LM head) is not counted: like PaLM's model
// FLOP utilisation, the figure is the work the step needs, not what the hardware repeated.
#pragma once

#include <cstdint>

#include "wizard/base/export.hpp"
#include "wizard/model/config.hpp"

namespace wizard::preference {

struct WIZARD_API ScoringWork {
  int64_t tokens_real = 0;        // chosen + rejected tokens, prompts included (before sharing)
  int64_t tokens_computed = 0;    // T: positions the model ran, padding included
  int64_t lm_head_positions = 0;  // P: positions whose logits were computed
  int64_t attention_pairs = 0;    // A: (query, key) pairs of causal attention, padding included

  ScoringWork& operator+=(const ScoringWork& other);
};

// Parameters outside the token embedding and the LM head (norms and biases included).
WIZARD_API int64_t non_embedding_parameters(const model::ModelConfig& config);

// The model FLOPs of forward + backward over `work` (the formula above).
WIZARD_API double training_flops(const model::ModelConfig& config, const ScoringWork& work);

}  // namespace wizard::preference
