#include "wizard/preference/pair_scoring.hpp"

#include <algorithm>

#include "wizard/base/error.hpp"
#include "wizard/model/layout.hpp"
#include "wizard/preference/batch_logps.hpp"
#include "wizard/preference/selected_logprobs.hpp"

namespace wizard::preference {

namespace {

// Where the model must produce log-probs: for each scored token, the flat
// position (row * T + t) whose hidden state predicts it, the token, and which
// of the 2B sequences it belongs to (chosen i -> i, rejected i -> B + i).
struct ScoredPositions {
  std::vector<int64_t> flat_position;
  std::vector<int64_t> label;
  std::vector<int64_t> sequence;

  void add(int64_t position, int64_t token, int64_t sequence_index) {
    flat_position.push_back(position);
    label.push_back(token);
    sequence.push_back(sequence_index);
  }
};

// One sequence's scored tokens: ids[t + 1] for t in [prompt_length - 1, size - 2],
// predicted at position_of(t).
template <class PositionOf>
void add_sequence(ScoredPositions& scored, const std::vector<int32_t>& ids,
                  std::size_t prompt_length, int64_t sequence_index, PositionOf position_of) {
  const std::size_t first = std::max<std::size_t>(prompt_length, 1) - 1;
  for (std::size_t t = first; t + 1 < ids.size(); ++t) {
    scored.add(position_of(static_cast<int64_t>(t)), ids[t + 1], sequence_index);
  }
}

std::size_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  const std::size_t limit = std::min(a.size(), b.size());
  std::size_t n = 0;
  while (n < limit && a[n] == b[n]) ++n;
  return n;
}

at::Tensor to_tensor(const std::vector<int64_t>& values, at::Device device) {
  return at::tensor(values, at::TensorOptions().dtype(at::kLong)).to(device);
}

// (query, key) pairs of causal attention for `length` tokens after `prefix` visible ones.
int64_t causal_pairs(int64_t length, int64_t prefix) {
  return length * prefix + length * (length + 1) / 2;
}

struct Batch {
  at::Tensor input_ids;     // [R, T]
  at::Tensor position_ids;  // [R, T]
  model::AttentionLayout layout;
  ScoredPositions scored;
  ScoringWork work;  // all but the LM head's share
};

// All pairs in one row: [shared | chosen rest | rejected rest] per pair, the
// rests attending to the shared part (packed layout).
Batch packed_batch(const std::vector<const TokenizedPreference*>& pairs, bool share_prefix,
                   at::Device device) {
  const int64_t b = static_cast<int64_t>(pairs.size());
  std::vector<int64_t> tokens;
  model::RowSegments segments;
  ScoredPositions scored;
  ScoringWork work;
  for (int64_t i = 0; i < b; ++i) {
    const TokenizedPreference& pair = *pairs[i];
    const auto& chosen = pair.chosen_input_ids;
    const auto& rejected = pair.rejected_input_ids;
    work.tokens_real += static_cast<int64_t>(chosen.size() + rejected.size());
    // Tokens both sequences begin with are computed once (all of them, not just the
    // prompt: identical inputs give identical hidden states).
    const std::size_t shared = share_prefix ? common_prefix(chosen, rejected) : 0;
    int64_t prefix_index = -1;
    const int64_t shared_start = static_cast<int64_t>(tokens.size());
    if (shared > 0) {
      prefix_index = static_cast<int64_t>(segments.size());
      segments.push_back({shared_start, static_cast<int64_t>(shared), -1});
      work.attention_pairs += causal_pairs(static_cast<int64_t>(shared), 0);
      tokens.insert(tokens.end(), chosen.begin(), chosen.begin() + shared);
    }
    auto add_rest = [&](const std::vector<int32_t>& ids, std::size_t prompt_length,
                        int64_t sequence_index) {
      const int64_t rest_start = static_cast<int64_t>(tokens.size());
      const int64_t rest_length = static_cast<int64_t>(ids.size() - shared);
      if (rest_length > 0) {
        segments.push_back({rest_start, rest_length, prefix_index});
        work.attention_pairs += causal_pairs(rest_length, static_cast<int64_t>(shared));
        tokens.insert(tokens.end(), ids.begin() + shared, ids.end());
      }
      const int64_t shared_count = static_cast<int64_t>(shared);
      add_sequence(scored, ids, prompt_length, sequence_index, [&](int64_t t) {
        return t < shared_count ? shared_start + t : rest_start + (t - shared_count);
      });
    };
    add_rest(chosen, pair.chosen_prompt_length, i);
    add_rest(rejected, pair.rejected_prompt_length, b + i);
  }
  const int64_t length = static_cast<int64_t>(tokens.size());
  Batch batch{at::Tensor(), at::Tensor(),
              model::AttentionLayout::segmented({std::move(segments)}, length), std::move(scored),
              ScoringWork{}};
  batch.input_ids = to_tensor(tokens, device).view({1, length});
  batch.position_ids = batch.layout.position_ids(device);
  work.tokens_computed = length;
  batch.work = work;
  return batch;
}

// TRL's concatenated batch: chosen_0..chosen_{B-1}, rejected_0..rejected_{B-1},
// right padded to the longest.
Batch padded_batch(const std::vector<const TokenizedPreference*>& pairs, int64_t pad_token_id,
                   at::Device device) {
  const int64_t b = static_cast<int64_t>(pairs.size());
  int64_t width = 0;
  for (const auto* pair : pairs) {
    width = std::max<int64_t>(width, static_cast<int64_t>(pair->chosen_input_ids.size()));
    width = std::max<int64_t>(width, static_cast<int64_t>(pair->rejected_input_ids.size()));
  }
  std::vector<int64_t> ids(2 * b * width, pad_token_id);
  std::vector<int64_t> mask(2 * b * width, 0);
  ScoredPositions scored;
  ScoringWork work;
  auto fill = [&](int64_t row, const std::vector<int32_t>& sequence, std::size_t prompt_length) {
    for (std::size_t t = 0; t < sequence.size(); ++t) {
      ids[row * width + t] = sequence[t];
      mask[row * width + t] = 1;
    }
    work.tokens_real += static_cast<int64_t>(sequence.size());
    add_sequence(scored, sequence, prompt_length, row, [&](int64_t t) { return row * width + t; });
  };
  for (int64_t i = 0; i < b; ++i)
    fill(i, pairs[i]->chosen_input_ids, pairs[i]->chosen_prompt_length);
  for (int64_t i = 0; i < b; ++i) {
    fill(b + i, pairs[i]->rejected_input_ids, pairs[i]->rejected_prompt_length);
  }
  const at::Tensor attention_mask = to_tensor(mask, device).view({2 * b, width});
  Batch batch{to_tensor(ids, device).view({2 * b, width}), at::Tensor(),
              model::AttentionLayout::padded(attention_mask), std::move(scored), ScoringWork{}};
  // Right padding: positions 0..T-1 as TRL passes none and the model counts from 0.
  batch.position_ids = at::arange(width, at::TensorOptions().dtype(at::kLong).device(device))
                           .unsqueeze(0)
                           .expand({2 * b, width})
                           .contiguous();
  work.tokens_computed = 2 * b * width;
  work.attention_pairs = 2 * b * causal_pairs(width, 0);
  batch.work = work;
  return batch;
}

at::Tensor lm_head_weight(const model::CausalLM& model) {
  const auto& weights = model.weights();
  return weights.lm_head.defined() ? weights.lm_head : weights.embed_tokens;
}

}  // namespace

PairScores score_pairs(const model::CausalLM& model,
                       const std::vector<const TokenizedPreference*>& pairs,
                       const PairScoringOptions& options, bool with_nll) {
  if (pairs.empty()) throw Error("score_pairs: an empty micro-batch");
  const at::Device device = model.device();
  const int64_t b = static_cast<int64_t>(pairs.size());
  Batch batch = options.layout == PairLayout::packed
                    ? packed_batch(pairs, options.share_prefix, device)
                    : padded_batch(pairs, options.pad_token_id, device);

  const at::Tensor hidden = model.forward(batch.input_ids, batch.position_ids, batch.layout);
  const at::Tensor flat_hidden = hidden.reshape({-1, hidden.size(-1)});
  const at::Tensor positions = to_tensor(batch.scored.flat_position, device);
  const at::Tensor labels = to_tensor(batch.scored.label, device);
  const at::Tensor sequence = to_tensor(batch.scored.sequence, device);

  at::Tensor token_logps;
  at::Tensor logit_sums;
  if (options.layout == PairLayout::padded && options.full_logits) {
    // TRL's path: logits everywhere, then pick the scored positions.
    const at::Tensor logits = model.lm_head(flat_hidden).to(at::kFloat);
    const at::Tensor selected = logits.index_select(0, positions);
    token_logps = selected.gather(1, labels.unsqueeze(1)).squeeze(1) - at::logsumexp(selected, 1);
    logit_sums = selected.detach().sum(1, false, at::kDouble);
    batch.work.lm_head_positions = flat_hidden.size(0);
  } else {
    const SelectedLogprobs selected =
        selected_logprobs(flat_hidden.index_select(0, positions), lm_head_weight(model), labels,
                          options.logits_chunk_size);
    token_logps = selected.logps;
    logit_sums = selected.logit_sums;
    batch.work.lm_head_positions = positions.size(0);
  }

  // Per-sequence sums and counts: sequences 0..B-1 chosen, B..2B-1 rejected.
  const auto float_options = token_logps.options();
  const at::Tensor sums = at::zeros({2 * b}, float_options).index_add(0, sequence, token_logps);
  const at::Tensor counts =
      at::zeros({2 * b}, float_options).index_add(0, sequence, at::ones_like(token_logps));
  const at::Tensor logit_totals =
      at::zeros({2 * b}, logit_sums.options()).index_add(0, sequence, logit_sums);
  const int64_t vocab = lm_head_weight(model).size(0);

  PairScores scores;
  scores.logps.chosen_logps_sum = sums.narrow(0, 0, b);
  scores.logps.rejected_logps_sum = sums.narrow(0, b, b);
  scores.logps.chosen_tokens = counts.narrow(0, 0, b);
  scores.logps.rejected_tokens = counts.narrow(0, b, b);
  if (with_nll) {
    // TRL: cross entropy averaged over every scored chosen token of the batch.
    scores.logps.nll_loss = -scores.logps.chosen_logps_sum.sum() / scores.logps.chosen_tokens.sum();
  }
  scores.logit_sums.chosen_sum = logit_totals.narrow(0, 0, b).sum();
  scores.logit_sums.rejected_sum = logit_totals.narrow(0, b, b).sum();
  scores.logit_sums.chosen_count = (counts.narrow(0, 0, b).sum().to(at::kDouble) * vocab);
  scores.logit_sums.rejected_count = (counts.narrow(0, b, b).sum().to(at::kDouble) * vocab);
  scores.work = batch.work;
  return scores;
}

}  // namespace wizard::preference
