// The built-in hard-negative miners (create_hard_negatives = true):
//
//   semantic_search  each example's chosen answer is embedded (the policy's last hidden state
//                    mean-pooled over the answer's tokens, no gradients, packed passes; or
//                    mining_embedding_model's),
//                    L2-normalised; its nearest distinct answers of other examples by cosine
//                    similarity are its negatives: exactly (chunked matrix products) up to
//                    mining_exact_limit distinct answers, above it with FAISS's HNSW index.
//   policy_score     the policy_score_candidates nearest answers found so, each appended to the
//                    example's prompt and scored by the policy (mean log-probability per answer
//                    token, no gradients): the ones it finds most likely are its negatives.
//
// Under data parallel each rank embeds, searches (exactly; FAISS's index is rank 0's) and
// scores a share (rank_share.hpp); rank 0's result is the one the recipe writes.
//
//   [training_args_spec]
//   create_hard_negatives = true
//   hard_negative_strategy = "semantic_search"
//   mined_negatives_per_example = 4
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>

#include "cached_embeddings.hpp"
#include "nearest_answers.hpp"
#include "rank_share.hpp"
#include "wizard/base/error.hpp"
#include "wizard/plugin/export.hpp"
#include "wizard/plugin/negative_miner.hpp"
#include "wizard/preference/example_scoring.hpp"

namespace {

using wizard::MinedNegative;
using wizard::MiningInput;
using Mined = std::vector<std::vector<MinedNegative>>;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The distinct answers (by answer id), the example that stands for each, and each example's.
struct DistinctAnswers {
  std::vector<std::int64_t> example_of;  // per distinct answer: its first example
  std::vector<std::int64_t> answer_of;   // per example: its distinct answer
};

DistinctAnswers distinct_answers(const MiningInput& input) {
  DistinctAnswers out;
  std::map<std::int64_t, std::int64_t> index;
  for (std::size_t i = 0; i < input.answer_ids.size(); ++i) {
    const auto [it, added] = index.emplace(input.answer_ids[i], out.example_of.size());
    if (added) out.example_of.push_back(static_cast<std::int64_t>(i));
    out.answer_of.push_back(it->second);
  }
  return out;
}

// Each distinct answer's `k` nearest others, with what it took.
struct Search {
  wizard::mining::Neighbours neighbours;
  std::string description;
};

Search nearest_answers(const MiningInput& input, const DistinctAnswers& answers, std::int64_t k) {
  // mining_embedding_model: that model and its tokens embed.
  const wizard::model::CausalLM& embedder =
      input.embedding_model ? *input.embedding_model : *input.model;
  const std::vector<wizard::MiningSequence>& chosen_sequences =
      input.embedding_chosen.empty() ? input.chosen : input.embedding_chosen;
  if (chosen_sequences.size() != input.chosen.size()) {
    throw wizard::Error("mining: " + std::to_string(chosen_sequences.size()) +
                        " sequences to embed for " + std::to_string(input.chosen.size()) +
                        " examples");
  }
  // Data parallel: each rank embeds its share of the answers (its blocks saved in the one
  // scratch folder) and searches for its share of them; the gathers give every rank all.
  const std::int64_t n = static_cast<std::int64_t>(answers.example_of.size());
  const wizard::mining::RowShare share = wizard::mining::row_share(n, input);
  std::vector<wizard::preference::SequenceRef> sequences;
  for (std::int64_t a = share.first; a < share.first + share.count; ++a) {
    const std::int64_t example = answers.example_of[static_cast<std::size_t>(a)];
    const wizard::MiningSequence& chosen = chosen_sequences[static_cast<std::size_t>(example)];
    sequences.push_back({chosen.ids, chosen.prompt_length});
  }
  wizard::preference::AnswerEmbeddingOptions options;
  options.max_tokens = input.max_tokens;
  options.progress = [&](std::int64_t done, std::int64_t total) {
    if (input.progress) input.progress("embedding answers", done, total);
  };
  auto start = std::chrono::steady_clock::now();
  at::Tensor embeddings = wizard::mining::gather_rows(
      wizard::mining::cached_embeddings(embedder, sequences, input.scratch / "embeddings", 4096,
                                        options, share.first),
      n, input);
  const double embed_seconds = seconds_since(start);
  embeddings = embeddings / embeddings.norm(2, {1}, true).clamp_min(1e-12);
  const auto search_progress = [&](std::int64_t done, std::int64_t total) {
    if (input.progress) input.progress("searching", done, total);
  };
  start = std::chrono::steady_clock::now();
  const bool exact = n <= input.exact_limit;
  Search out;
  if (exact) {
    const wizard::mining::Neighbours mine = wizard::mining::exact_nearest(
        embeddings, k, 1024, search_progress, share.first, share.count);
    out.neighbours = {wizard::mining::gather_rows(mine.indices, n, input),
                      wizard::mining::gather_rows(mine.scores, n, input)};
  } else {
    // One HNSW index (its build is not deterministic across processes): rank 0's.
    wizard::mining::Neighbours found;
    if (input.rank == 0) {
      found = wizard::mining::faiss_nearest(embeddings, k, search_progress);
    } else {
      found = {at::full({n, k}, -1, at::kLong), at::zeros({n, k}, at::kFloat)};
    }
    out.neighbours = {wizard::mining::from_rank_zero(found.indices, input),
                      wizard::mining::from_rank_zero(found.scores, input)};
  }
  const std::string ranks =
      input.world_size > 1 ? ", " + std::to_string(input.world_size) + " ranks" : "";
  char text[256];
  std::snprintf(text, sizeof text,
                "%lld distinct answers embedded in %.1f s (%.0f/s%s); %s search in %.2f s",
                static_cast<long long>(n), embed_seconds,
                embed_seconds > 0 ? static_cast<double>(n) / embed_seconds : 0.0, ranks.c_str(),
                exact ? "exact" : "FAISS HNSW", seconds_since(start));
  out.description = text;
  return out;
}

class SemanticSearch : public wizard::NegativeMiner {
 public:
  static constexpr const char* kSummary =
      "each example's nearest answers of other examples by the policy's embedding";
  static wizard::OptionDocs options() { return {}; }
  SemanticSearch(const wizard::Config&, wizard::PluginHost&) {}

  Mined mine(const MiningInput& input) const override {
    const DistinctAnswers answers = distinct_answers(input);
    const Search search = nearest_answers(input, answers, input.per_example);
    description_ = search.description;
    const at::Tensor indices = search.neighbours.indices.cpu();
    const at::Tensor scores = search.neighbours.scores.cpu();
    Mined out(input.answer_ids.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
      const std::int64_t row = answers.answer_of[i];
      for (std::int64_t j = 0; j < indices.size(1); ++j) {
        const std::int64_t other = indices[row][j].item<std::int64_t>();
        if (other < 0) break;
        out[i].push_back(
            {answers.example_of[static_cast<std::size_t>(other)], scores[row][j].item<double>()});
      }
    }
    return out;
  }
  std::string describe_last_run() const override { return description_; }

 private:
  mutable std::string description_;
};

class PolicyScore : public wizard::NegativeMiner {
 public:
  static constexpr const char* kSummary =
      "of each example's nearest answers by embedding, those the policy finds most likely";
  static wizard::OptionDocs options() {
    return {{"policy_score_candidates", "int", "16",
             "nearest answers by embedding the policy scores per example"}};
  }
  PolicyScore(const wizard::Config& config, wizard::PluginHost&)
      : candidates_(config.get<std::int64_t>("policy_score_candidates", 16)) {
    if (candidates_ < 1) config.fail("policy_score_candidates", "must be 1 or more");
  }

  Mined mine(const MiningInput& input) const override {
    const DistinctAnswers answers = distinct_answers(input);
    const Search search = nearest_answers(input, answers, std::max(candidates_, input.per_example));
    const at::Tensor indices = search.neighbours.indices.cpu();
    const auto start = std::chrono::steady_clock::now();
    // Data parallel: each rank scores its share of the examples; per example, its negatives'
    // examples (-1 after the last) and scores, gathered below.
    const std::int64_t examples = static_cast<std::int64_t>(input.answer_ids.size());
    const wizard::mining::RowShare share = wizard::mining::row_share(examples, input);
    at::Tensor sources = at::full({share.count, input.per_example}, -1, at::kLong);
    at::Tensor source_scores = at::zeros({share.count, input.per_example}, at::kDouble);
    auto source_at = sources.accessor<std::int64_t, 2>();
    auto score_at = source_scores.accessor<double, 2>();
    // Examples are scored in groups of about max_tokens tokens, each with its candidates.
    std::vector<std::unique_ptr<std::vector<std::int32_t>>> made;
    std::vector<wizard::preference::ExampleToScore> group;
    std::vector<std::vector<std::int64_t>> group_sources;
    std::vector<std::int64_t> group_rows;  // of `sources`
    std::int64_t group_tokens = 0, scored = 0;
    const auto flush = [&] {
      if (group.empty()) return;
      at::NoGradGuard no_grad;
      const auto scores = wizard::preference::score_examples(*input.model, group, {}, false);
      const at::Tensor means =
          (scores.negative_logps_sum.to(at::kDouble) / scores.negative_tokens.to(at::kDouble))
              .cpu();
      for (std::size_t g = 0; g < group.size(); ++g) {
        std::vector<MinedNegative> ranked;
        for (std::size_t c = 0; c < group_sources[g].size(); ++c) {
          ranked.push_back(
              {group_sources[g][c],
               means[static_cast<std::int64_t>(g)][static_cast<std::int64_t>(c)].item<double>()});
        }
        std::stable_sort(ranked.begin(), ranked.end(),
                         [](const auto& a, const auto& b) { return a.score > b.score; });
        const std::int64_t keep =
            std::min<std::int64_t>(static_cast<std::int64_t>(ranked.size()), input.per_example);
        for (std::int64_t j = 0; j < keep; ++j) {
          source_at[group_rows[g]][j] = ranked[static_cast<std::size_t>(j)].example;
          score_at[group_rows[g]][j] = ranked[static_cast<std::size_t>(j)].score;
        }
      }
      scored += static_cast<std::int64_t>(group.size());
      if (input.progress) input.progress("scoring candidates", scored, share.count);
      group.clear();
      group_sources.clear();
      group_rows.clear();
      made.clear();
      group_tokens = 0;
    };
    for (std::int64_t row = 0; row < share.count; ++row) {
      const auto i = static_cast<std::size_t>(share.first + row);
      const wizard::preference::SequenceRef own{input.chosen[i].ids, input.chosen[i].prompt_length};
      const std::vector<std::int32_t> prompt(
          own.ids->begin(), own.ids->begin() + static_cast<std::ptrdiff_t>(own.prompt_length));
      wizard::preference::ExampleToScore example{own, {}};
      std::vector<std::int64_t> candidates;
      const std::int64_t answer = answers.answer_of[i];
      for (std::int64_t j = 0; j < indices.size(1); ++j) {
        const std::int64_t other = indices[answer][j].item<std::int64_t>();
        if (other < 0) break;
        const std::int64_t source = answers.example_of[static_cast<std::size_t>(other)];
        const wizard::MiningSequence& text = input.chosen[static_cast<std::size_t>(source)];
        auto sequence = std::make_unique<std::vector<std::int32_t>>(prompt);
        sequence->insert(sequence->end(),
                         text.ids->begin() + static_cast<std::ptrdiff_t>(text.prompt_length),
                         text.ids->end());
        group_tokens += static_cast<std::int64_t>(sequence->size() - prompt.size());
        example.negatives.push_back({sequence.get(), prompt.size()});
        made.push_back(std::move(sequence));
        candidates.push_back(source);
      }
      if (example.negatives.empty()) continue;
      group_tokens += static_cast<std::int64_t>(own.ids->size());
      group.push_back(std::move(example));
      group_sources.push_back(std::move(candidates));
      group_rows.push_back(row);
      if (group_tokens >= input.max_tokens) flush();
    }
    flush();
    const at::Tensor all_sources = wizard::mining::gather_rows(sources, examples, input);
    const at::Tensor all_scores = wizard::mining::gather_rows(source_scores, examples, input);
    const auto all_source_at = all_sources.accessor<std::int64_t, 2>();
    const auto all_score_at = all_scores.accessor<double, 2>();
    Mined out(static_cast<std::size_t>(examples));
    for (std::int64_t i = 0; i < examples; ++i) {
      for (std::int64_t j = 0; j < input.per_example && all_source_at[i][j] >= 0; ++j) {
        out[static_cast<std::size_t>(i)].push_back({all_source_at[i][j], all_score_at[i][j]});
      }
    }
    char text[64];
    std::snprintf(text, sizeof text, "; candidates scored in %.1f s", seconds_since(start));
    description_ = search.description + text;
    return out;
  }
  std::string describe_last_run() const override { return description_; }

 private:
  std::int64_t candidates_;
  mutable std::string description_;
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_NEGATIVE_MINER(SemanticSearch, semantic_search)
WIZARD_EXPORT_NEGATIVE_MINER(PolicyScore, policy_score)
