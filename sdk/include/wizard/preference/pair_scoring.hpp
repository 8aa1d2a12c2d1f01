// Scoring preference pairs with a causal LM: the log-probabilities of the
// chosen and rejected answers (summed per sequence, with token counts), TRL's
// NLL term, and the logit sums for the logits/* metrics, from one forward pass.
//
// Two layouts of the same computation:
//  - packed (the default): every pair of the micro-batch in one row without
//    padding; the tokens chosen and rejected share (the prompt, and any common
//    start of the answers) are computed once and both answers attend to them,
//    positions continuing after them; the LM head runs only at scored positions,
//    in chunks (selected_logprobs.hpp).
//  - padded: TRL's concatenated batch: chosen rows then rejected rows, right
//    padded; optionally with full-vocabulary logits at every position, exactly
//    TRL's compute path, as a baseline for tests and benchmarks.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/data/trl_preference.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/plugin/loss.hpp"
#include "wizard/preference/metrics.hpp"
#include "wizard/preference/scoring_work.hpp"

namespace wizard::preference {

enum class PairLayout { packed, padded };

struct WIZARD_API PairScoringOptions {
  PairLayout layout = PairLayout::packed;
  // packed: compute the tokens chosen and rejected share once.
  bool share_prefix = true;
  // LM-head positions per chunk (memory: chunk x vocabulary floats at a time).
  int64_t logits_chunk_size = 1024;
  // padded: materialise [2B, T, V] logits as TRL does (the baseline).
  bool full_logits = false;
  // padded: the id padding positions hold (they are masked; any valid id works).
  int64_t pad_token_id = 0;
  // score_examples also mean-pools the last hidden state (after the final norm) over each
  // prompt and each answer (ExampleScores::embeddings), with gradients: the contrastive term.
  bool with_embeddings = false;
};

struct WIZARD_API PairScores {
  PreferenceScores logps;          // what a Loss receives: K = 1 (nll_loss set when wanted)
  CompletionLogitSums logit_sums;  // for logits/chosen and logits/rejected
  ScoringWork work;                // tokens, LM-head positions, attention pairs
};

// Scores `pairs` (one micro-batch). `with_nll`: compute TRL's NLL over the
// chosen answers (skip it when its weight is 0).
WIZARD_API PairScores score_pairs(const model::CausalLM& model,
                                  const std::vector<const TokenizedPreference*>& pairs,
                                  const PairScoringOptions& options, bool with_nll = true);

}  // namespace wizard::preference
