#include "wizard/preference/example_scoring.hpp"

#include <algorithm>

#include "wizard/base/error.hpp"
#include "wizard/model/layout.hpp"
#include "wizard/preference/selected_logprobs.hpp"

namespace wizard::preference {

namespace {

// Where the model must produce log-probs: for each scored token, the flat position
// (row * T + t) whose hidden state predicts it, the token, and the sequence it belongs to:
// chosen i -> i, negative k of example i -> B + i * K + k, and `ignored` for the copies of a
// chosen answer that only the padded baseline computes.
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

// One sequence's scored tokens: ids[t + 1] for t in [prompt_length - 1, size - 2], predicted
// at position_of(t).
template <class PositionOf>
void add_sequence(ScoredPositions& scored, const SequenceRef& sequence, int64_t sequence_index,
                  PositionOf position_of) {
  const std::vector<int32_t>& ids = *sequence.ids;
  const std::size_t first = std::max<std::size_t>(sequence.prompt_length, 1) - 1;
  for (std::size_t t = first; t + 1 < ids.size(); ++t) {
    scored.add(position_of(static_cast<int64_t>(t)), ids[t + 1], sequence_index);
  }
}

// Where the pooled embeddings read the hidden state: for each token of a pooled part, its flat
// position and the part's slot: query i -> i, chosen answer i -> B + i, negative k of example
// i -> 2B + i * K + k, and `ignored` (2B + B * K) for parts nothing pools.
struct PooledPositions {
  std::vector<int64_t> flat_position;
  std::vector<int64_t> slot;
};

// One sequence's tokens: the prompt's into `query_slot` (when >= 0), the answer's into
// `answer_slot`; token t sits at position_of(t).
template <class PositionOf>
void add_pooled(PooledPositions& pooled, const SequenceRef& sequence, int64_t query_slot,
                int64_t answer_slot, PositionOf position_of) {
  for (std::size_t t = 0; t < sequence.ids->size(); ++t) {
    const bool prompt = t < sequence.prompt_length;
    if (prompt && query_slot < 0) continue;
    pooled.flat_position.push_back(position_of(static_cast<int64_t>(t)));
    pooled.slot.push_back(prompt ? query_slot : answer_slot);
  }
}

// The tokens every sequence of an example begins with.
std::size_t common_prefix(const ExampleToScore& example) {
  const std::vector<int32_t>& chosen = *example.chosen.ids;
  std::size_t n = chosen.size();
  for (const SequenceRef& negative : example.negatives) {
    const std::vector<int32_t>& ids = *negative.ids;
    const std::size_t limit = std::min(n, ids.size());
    std::size_t shared = 0;
    while (shared < limit && chosen[shared] == ids[shared]) ++shared;
    n = shared;
  }
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
  ScoringWork work;        // all but the LM head's share
  PooledPositions pooled;  // filled only when embeddings are asked for
};

// All examples in one row: [shared | chosen rest | negative rests...] per example, the rests
// attending to the shared part (packed layout).
Batch packed_batch(const std::vector<ExampleToScore>& examples, int64_t max_negatives,
                   bool share_prefix, bool pool, at::Device device) {
  const int64_t b = static_cast<int64_t>(examples.size());
  std::vector<int64_t> tokens;
  model::RowSegments segments;
  ScoredPositions scored;
  PooledPositions pooled;
  ScoringWork work;
  for (int64_t i = 0; i < b; ++i) {
    const ExampleToScore& example = examples[i];
    // Tokens every sequence begins with are computed once (all of them, not just the prompt:
    // identical inputs give identical hidden states).
    const std::size_t shared = share_prefix ? common_prefix(example) : 0;
    int64_t prefix_index = -1;
    const int64_t shared_start = static_cast<int64_t>(tokens.size());
    if (shared > 0) {
      prefix_index = static_cast<int64_t>(segments.size());
      segments.push_back({shared_start, static_cast<int64_t>(shared), -1});
      work.attention_pairs += causal_pairs(static_cast<int64_t>(shared), 0);
      tokens.insert(tokens.end(), example.chosen.ids->begin(),
                    example.chosen.ids->begin() + static_cast<std::ptrdiff_t>(shared));
    }
    auto add_rest = [&](const SequenceRef& sequence, int64_t sequence_index, int64_t query_slot,
                        int64_t answer_slot) {
      const std::vector<int32_t>& ids = *sequence.ids;
      work.tokens_real += static_cast<int64_t>(ids.size());
      const int64_t rest_start = static_cast<int64_t>(tokens.size());
      const int64_t rest_length = static_cast<int64_t>(ids.size() - shared);
      if (rest_length > 0) {
        segments.push_back({rest_start, rest_length, prefix_index});
        work.attention_pairs += causal_pairs(rest_length, static_cast<int64_t>(shared));
        tokens.insert(tokens.end(), ids.begin() + static_cast<std::ptrdiff_t>(shared), ids.end());
      }
      const int64_t shared_count = static_cast<int64_t>(shared);
      const auto position_of = [&](int64_t t) {
        return t < shared_count ? shared_start + t : rest_start + (t - shared_count);
      };
      add_sequence(scored, sequence, sequence_index, position_of);
      if (pool) add_pooled(pooled, sequence, query_slot, answer_slot, position_of);
    };
    add_rest(example.chosen, i, i, b + i);
    for (std::size_t k = 0; k < example.negatives.size(); ++k) {
      const int64_t index = i * max_negatives + static_cast<int64_t>(k);
      add_rest(example.negatives[k], b + index, -1, 2 * b + index);
    }
  }
  const int64_t length = static_cast<int64_t>(tokens.size());
  Batch batch{at::Tensor(),
              at::Tensor(),
              model::AttentionLayout::segmented({std::move(segments)}, length),
              std::move(scored),
              ScoringWork{},
              std::move(pooled)};
  batch.input_ids = to_tensor(tokens, device).view({1, length});
  batch.position_ids = batch.layout.position_ids(device);
  work.tokens_computed = length;
  batch.work = work;
  return batch;
}

// TRL's concatenated batch of every (chosen, negative) pair: the chosen rows, then the
// negative rows, right padded to the longest. Only the first copy of a chosen answer is scored
// into its sequence; the others go to `ignored` (TRL computes them, and so must the baseline).
Batch padded_batch(const std::vector<ExampleToScore>& examples, int64_t max_negatives,
                   int64_t pad_token_id, bool pool, at::Device device) {
  const int64_t b = static_cast<int64_t>(examples.size());
  const int64_t ignored = b + b * max_negatives;
  const int64_t ignored_slot = 2 * b + b * max_negatives;
  struct Row {
    SequenceRef sequence;
    int64_t sequence_index;
    int64_t query_slot;
    int64_t answer_slot;
  };
  std::vector<Row> chosen_rows, negative_rows;
  int64_t width = 0;
  for (int64_t i = 0; i < b; ++i) {
    const ExampleToScore& example = examples[i];
    for (std::size_t k = 0; k < example.negatives.size(); ++k) {
      const int64_t index = i * max_negatives + static_cast<int64_t>(k);
      chosen_rows.push_back(
          {example.chosen, k == 0 ? i : ignored, k == 0 ? i : -1, k == 0 ? b + i : ignored_slot});
      negative_rows.push_back({example.negatives[k], b + index, -1, 2 * b + index});
      width = std::max<int64_t>(width, static_cast<int64_t>(example.chosen.ids->size()));
      width = std::max<int64_t>(width, static_cast<int64_t>(example.negatives[k].ids->size()));
    }
  }
  std::vector<Row> rows = std::move(chosen_rows);
  rows.insert(rows.end(), negative_rows.begin(), negative_rows.end());
  const int64_t r_count = static_cast<int64_t>(rows.size());
  std::vector<int64_t> ids(r_count * width, pad_token_id);
  std::vector<int64_t> mask(r_count * width, 0);
  ScoredPositions scored;
  PooledPositions pooled;
  ScoringWork work;
  for (int64_t r = 0; r < r_count; ++r) {
    const std::vector<int32_t>& sequence = *rows[r].sequence.ids;
    for (std::size_t t = 0; t < sequence.size(); ++t) {
      ids[r * width + t] = sequence[t];
      mask[r * width + t] = 1;
    }
    work.tokens_real += static_cast<int64_t>(sequence.size());
    const auto position_of = [&](int64_t t) { return r * width + t; };
    add_sequence(scored, rows[r].sequence, rows[r].sequence_index, position_of);
    if (pool) {
      add_pooled(pooled, rows[r].sequence, rows[r].query_slot, rows[r].answer_slot, position_of);
    }
  }
  const at::Tensor attention_mask = to_tensor(mask, device).view({r_count, width});
  Batch batch{to_tensor(ids, device).view({r_count, width}),
              at::Tensor(),
              model::AttentionLayout::padded(attention_mask),
              std::move(scored),
              ScoringWork{},
              std::move(pooled)};
  // Right padding: positions 0..T-1 as TRL passes none and the model counts from 0.
  batch.position_ids = at::arange(width, at::TensorOptions().dtype(at::kLong).device(device))
                           .unsqueeze(0)
                           .expand({r_count, width})
                           .contiguous();
  work.tokens_computed = r_count * width;
  work.attention_pairs = r_count * causal_pairs(width, 0);
  batch.work = work;
  return batch;
}

// The hidden states averaged per pooled part (float32): query [B, H], chosen [B, H],
// negatives [B, K, H] (0 where masked).
PooledEmbeddings pool_embeddings(const at::Tensor& flat_hidden, const PooledPositions& pooled,
                                 int64_t b, int64_t k_max) {
  const at::Device device = flat_hidden.device();
  const int64_t slots = 2 * b + b * k_max + 1;
  const at::Tensor positions = to_tensor(pooled.flat_position, device);
  const at::Tensor slot = to_tensor(pooled.slot, device);
  const at::Tensor values = flat_hidden.index_select(0, positions).to(at::kFloat);
  const at::Tensor sums =
      at::zeros({slots, flat_hidden.size(1)}, values.options()).index_add(0, slot, values);
  const at::Tensor counts = at::zeros({slots}, values.options())
                                .index_add(0, slot, at::ones({slot.size(0)}, values.options()))
                                .clamp_min(1);
  const at::Tensor means = sums / counts.unsqueeze(1);
  PooledEmbeddings out;
  out.query = means.narrow(0, 0, b);
  out.chosen = means.narrow(0, b, b);
  out.negatives = means.narrow(0, 2 * b, b * k_max).view({b, k_max, flat_hidden.size(1)});
  return out;
}

at::Tensor lm_head_weight(const model::CausalLM& model) {
  const auto& weights = model.weights();
  return weights.lm_head.defined() ? weights.lm_head : weights.embed_tokens;
}

}  // namespace

std::vector<ExampleToScore> examples_of_pairs(
    const std::vector<const TokenizedPreference*>& pairs) {
  std::vector<ExampleToScore> examples;
  examples.reserve(pairs.size());
  for (const TokenizedPreference* pair : pairs) {
    examples.push_back({{&pair->chosen_input_ids, pair->chosen_prompt_length},
                        {{&pair->rejected_input_ids, pair->rejected_prompt_length}}});
  }
  return examples;
}

ExampleScores score_examples(const model::CausalLM& model,
                             const std::vector<ExampleToScore>& examples,
                             const PairScoringOptions& options, bool with_nll) {
  if (examples.empty()) throw Error("score_examples: an empty micro-batch");
  int64_t k_max = 0;
  for (const ExampleToScore& example : examples) {
    if (example.negatives.empty()) throw Error("score_examples: an example without negatives");
    k_max = std::max<int64_t>(k_max, static_cast<int64_t>(example.negatives.size()));
  }
  const at::Device device = model.device();
  const int64_t b = static_cast<int64_t>(examples.size());
  Batch batch =
      options.layout == PairLayout::packed
          ? packed_batch(examples, k_max, options.share_prefix, options.with_embeddings, device)
          : padded_batch(examples, k_max, options.pad_token_id, options.with_embeddings, device);

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

  // Per-sequence sums and counts: 0..B-1 chosen, then B x K negatives, then the ignored slot.
  const int64_t slots = b + b * k_max + 1;
  const auto float_options = token_logps.options();
  const at::Tensor sums = at::zeros({slots}, float_options).index_add(0, sequence, token_logps);
  const at::Tensor counts =
      at::zeros({slots}, float_options).index_add(0, sequence, at::ones_like(token_logps));
  const at::Tensor logit_totals =
      at::zeros({slots}, logit_sums.options()).index_add(0, sequence, logit_sums);
  const int64_t vocab = lm_head_weight(model).size(0);

  std::vector<uint8_t> mask(b * k_max, 0);
  for (int64_t i = 0; i < b; ++i) {
    std::fill_n(mask.begin() + i * k_max, examples[i].negatives.size(), 1);
  }
  ExampleScores scores;
  scores.negative_mask = at::tensor(mask, at::kByte).to(device).to(at::kBool).view({b, k_max});
  scores.chosen_logps_sum = sums.narrow(0, 0, b);
  scores.chosen_tokens = counts.narrow(0, 0, b);
  scores.negative_logps_sum = sums.narrow(0, b, b * k_max).view({b, k_max});
  // Masked entries count one token, so that averages of them stay finite (and unused).
  scores.negative_tokens = counts.narrow(0, b, b * k_max)
                               .view({b, k_max})
                               .masked_fill(scores.negative_mask.logical_not(), 1);
  if (with_nll) {
    // TRL: cross entropy averaged over every scored chosen token of the batch.
    scores.nll_loss = -scores.chosen_logps_sum.sum() / scores.chosen_tokens.sum();
  }
  const at::Tensor negative_counts = counts.narrow(0, b, b * k_max).sum();
  scores.logit_sums.chosen_sum = logit_totals.narrow(0, 0, b).sum();
  scores.logit_sums.rejected_sum = logit_totals.narrow(0, b, b * k_max).sum();
  scores.logit_sums.chosen_count = counts.narrow(0, 0, b).sum().to(at::kDouble) * vocab;
  scores.logit_sums.rejected_count = negative_counts.to(at::kDouble) * vocab;
  scores.work = batch.work;
  if (options.with_embeddings) {
    scores.embeddings = pool_embeddings(flat_hidden, batch.pooled, b, k_max);
  }
  return scores;
}

PreferenceScores preference_scores_of(const ExampleScores& scores) {
  PreferenceScores out;
  out.chosen_logps_sum = scores.chosen_logps_sum;
  out.chosen_tokens = scores.chosen_tokens;
  out.negative_logps_sum = scores.negative_logps_sum;
  out.negative_tokens = scores.negative_tokens;
  out.negative_mask = scores.negative_mask;
  out.nll_loss = scores.nll_loss;
  return out;
}

}  // namespace wizard::preference
