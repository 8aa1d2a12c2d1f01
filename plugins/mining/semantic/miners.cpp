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
  std::vector<wizard::preference::SequenceRef> sequences;
  for (const std::int64_t example : answers.example_of) {
    const wizard::MiningSequence& chosen = chosen_sequences[static_cast<std::size_t>(example)];
    sequences.push_back({chosen.ids, chosen.prompt_length});
  }
  wizard::preference::AnswerEmbeddingOptions options;
  options.max_tokens = input.max_tokens;
  options.progress = [&](std::int64_t done, std::int64_t total) {
    if (input.progress) input.progress("embedding answers", done, total);
  };
  auto start = std::chrono::steady_clock::now();
  at::Tensor embeddings = wizard::mining::cached_embeddings(
      embedder, sequences, input.scratch / "embeddings", 4096, options);
  const double embed_seconds = seconds_since(start);
  embeddings = embeddings / embeddings.norm(2, {1}, true).clamp_min(1e-12);
  const auto search_progress = [&](std::int64_t done, std::int64_t total) {
    if (input.progress) input.progress("searching", done, total);
  };
  start = std::chrono::steady_clock::now();
  const std::int64_t n = embeddings.size(0);
  const bool exact = n <= input.exact_limit;
  Search out;
  out.neighbours = exact ? wizard::mining::exact_nearest(embeddings, k, 1024, search_progress)
                         : wizard::mining::faiss_nearest(embeddings, k, search_progress);
  char text[256];
  std::snprintf(text, sizeof text,
                "%lld distinct answers embedded in %.1f s (%.0f/s); %s search in %.2f s",
                static_cast<long long>(n), embed_seconds,
                embed_seconds > 0 ? static_cast<double>(n) / embed_seconds : 0.0,
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
    Mined out(input.answer_ids.size());
    // Examples are scored in groups of about max_tokens tokens, each with its candidates.
    std::vector<std::unique_ptr<std::vector<std::int32_t>>> made;
    std::vector<wizard::preference::ExampleToScore> group;
    std::vector<std::vector<std::int64_t>> group_sources;
    std::vector<std::size_t> group_examples;
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
        if (static_cast<std::int64_t>(ranked.size()) > input.per_example) {
          ranked.resize(static_cast<std::size_t>(input.per_example));
        }
        out[group_examples[g]] = std::move(ranked);
      }
      scored += static_cast<std::int64_t>(group.size());
      if (input.progress) {
        input.progress("scoring candidates", scored, static_cast<std::int64_t>(out.size()));
      }
      group.clear();
      group_sources.clear();
      group_examples.clear();
      made.clear();
      group_tokens = 0;
    };
    for (std::size_t i = 0; i < out.size(); ++i) {
      const wizard::preference::SequenceRef own{input.chosen[i].ids, input.chosen[i].prompt_length};
      const std::vector<std::int32_t> prompt(
          own.ids->begin(), own.ids->begin() + static_cast<std::ptrdiff_t>(own.prompt_length));
      wizard::preference::ExampleToScore example{own, {}};
      std::vector<std::int64_t> sources;
      const std::int64_t row = answers.answer_of[i];
      for (std::int64_t j = 0; j < indices.size(1); ++j) {
        const std::int64_t other = indices[row][j].item<std::int64_t>();
        if (other < 0) break;
        const std::int64_t source = answers.example_of[static_cast<std::size_t>(other)];
        const wizard::MiningSequence& answer = input.chosen[static_cast<std::size_t>(source)];
        auto sequence = std::make_unique<std::vector<std::int32_t>>(prompt);
        sequence->insert(sequence->end(),
                         answer.ids->begin() + static_cast<std::ptrdiff_t>(answer.prompt_length),
                         answer.ids->end());
        group_tokens += static_cast<std::int64_t>(sequence->size() - prompt.size());
        example.negatives.push_back({sequence.get(), prompt.size()});
        made.push_back(std::move(sequence));
        sources.push_back(source);
      }
      if (example.negatives.empty()) continue;
      group_tokens += static_cast<std::int64_t>(own.ids->size());
      group.push_back(std::move(example));
      group_sources.push_back(std::move(sources));
      group_examples.push_back(i);
      if (group_tokens >= input.max_tokens) flush();
    }
    flush();
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
