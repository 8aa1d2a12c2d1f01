// Scoring preference examples — a chosen answer and K negative answers to one prompt — with a
// causal LM in one forward pass: each answer's summed log-probability with its token count,
// TRL's NLL term over the chosen answers, and the logit sums for the logits/* metrics.
//
// Two layouts of the same computation:
//  - packed (the default): every example of the micro-batch in one row without padding; the
//    tokens all of an example's sequences begin with (the prompt, and any common start of
//    the answers) are computed once and every answer attends to them, its positions
//    continuing after them; the LM head runs only at scored positions, in chunks.
//  - padded: TRL's layout: each (chosen, negative) pair is its own padded pair of rows, so a
//    prompt with K negatives is computed 2K times and the chosen answer K times (the
//    baseline for benchmarks; the scores are the same).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/plugin/loss.hpp"
#include "wizard/preference/metrics.hpp"
#include "wizard/preference/pair_scoring.hpp"
#include "wizard/preference/scoring_work.hpp"

namespace wizard::preference {

// One tokenized sequence: prompt part then answer (as TokenizedPreference holds them).
struct SequenceRef {
  const std::vector<std::int32_t>* ids = nullptr;
  std::size_t prompt_length = 0;
};

// One example of a micro-batch: the chosen answer and the negatives to score this step (at
// least one; examples may have different counts).
struct ExampleToScore {
  SequenceRef chosen;
  std::vector<SequenceRef> negatives;
};

// The last hidden state mean-pooled per sequence part, float32 (PairScoringOptions::
// with_embeddings): the prompt tokens of each example's chosen sequence (the query), and the
// answer tokens of the chosen answer and of each negative (the keys; an answer's hidden states
// attend to its prompt).
struct WIZARD_API PooledEmbeddings {
  at::Tensor query;      // [B, H]
  at::Tensor chosen;     // [B, H]
  at::Tensor negatives;  // [B, K, H], 0 where ExampleScores::negative_mask is false
};

struct WIZARD_API ExampleScores {
  at::Tensor chosen_logps_sum;     // [B]
  at::Tensor chosen_tokens;        // [B]
  at::Tensor negative_logps_sum;   // [B, K], 0 where masked (K: the most negatives of an example)
  at::Tensor negative_tokens;      // [B, K], 1 where masked
  at::Tensor negative_mask;        // [B, K] bool
  at::Tensor nll_loss;             // TRL's, over the chosen answers; undefined without with_nll
  CompletionLogitSums logit_sums;  // "rejected": every negative's scored positions
  ScoringWork work;
  PooledEmbeddings embeddings;  // undefined tensors unless options.with_embeddings
};

// Scores `examples` (one micro-batch) with `model` (gradients flow unless disabled by the
// caller). `with_nll`: compute TRL's NLL term (skip it when its weight is 0).
WIZARD_API ExampleScores score_examples(const model::CausalLM& model,
                                        const std::vector<ExampleToScore>& examples,
                                        const PairScoringOptions& options, bool with_nll = true);

// What a Loss receives from these scores: the sums, counts, mask and NLL as they are (the
// tensors are shared, not copied); no reference scores.
WIZARD_API PreferenceScores preference_scores_of(const ExampleScores& scores);

// The examples of TRL's pairs: chosen and rejected.
WIZARD_API std::vector<ExampleToScore> examples_of_pairs(
    const std::vector<const TokenizedPreference*>& pairs);

}  // namespace wizard::preference
