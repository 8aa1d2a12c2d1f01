// A hard-negative miner (`create_hard_negatives = true`, `hard_negative_strategy` = its
// name): before training, finds for each training example the chosen answers of *other*
// examples that make the hardest negatives for it. The recipe turns each found answer into a
// negative of the example (its prompt followed by that answer, source `mined`), which the
// negative samplers treat as hard, writes them to `mined_negatives.jsonl` beside the run and
// reuses that file while the data, the model and the settings are unchanged.
// Built-in: semantic_search and policy_score (plugins/mining/).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "wizard/model/causal_lm.hpp"
#include "wizard/plugin/plugin.hpp"

namespace wizard {

// One tokenized sequence: prompt part, then answer (as wizard::preference::SequenceRef).
struct MiningSequence {
  const std::vector<std::int32_t>* ids = nullptr;
  std::size_t prompt_length = 0;
};

struct MiningInput {
  // The policy (in its training precision): it embeds the answers and, for strategies that
  // score, scores them.
  const model::CausalLM* model = nullptr;
  // Each example's chosen sequence: its prompt, then its chosen answer.
  std::vector<MiningSequence> chosen;
  // mining_embedding_model: the model that embeds the answers instead of `model` (null: the
  // policy embeds), with each example's chosen sequence in its own tokens (`chosen` when
  // empty: the same tokenizer).
  const model::CausalLM* embedding_model = nullptr;
  std::vector<MiningSequence> embedding_chosen;
  // An id per example shared by the examples whose chosen answers are the same text: an
  // example never gets its own answer (or an equal one) as a negative, nor one answer twice.
  std::vector<std::int64_t> answer_ids;
  std::int64_t per_example = 4;  // mined_negatives_per_example
  // Search exactly (chunked matrix products) up to this many distinct answers; above it an
  // approximate index where the miner has one.
  std::int64_t exact_limit = 200000;
  std::int64_t max_tokens = 8192;  // tokens per forward pass
  // A folder the miner may keep partial work in (embeddings), to resume after a kill.
  std::filesystem::path scratch;
  // Progress of a stage ("embedding", "searching", "scoring"): done of total.
  std::function<void(const std::string& stage, std::int64_t done, std::int64_t total)> progress;
  // Data parallel (world_size > 1): mine() is called on every rank, in step, with the same
  // input, so that the ranks share the work (each embeds, searches and scores its share);
  // rank 0's result is the one used and written, the others' are not read. all_gather:
  // every rank's tensor (the same shape and dtype on every rank), in rank order, on the CPU;
  // each rank must call it the same number of times. Null in a single process.
  std::int64_t rank = 0;
  std::int64_t world_size = 1;
  std::function<std::vector<at::Tensor>(const at::Tensor&)> all_gather;
};

// One mined negative: the example whose chosen answer it is, and the miner's score (the
// cosine similarity for semantic_search; the policy's mean log-probability for policy_score).
struct MinedNegative {
  std::int64_t example = 0;
  double score = 0;
};

class WIZARD_API NegativeMiner : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::NegativeMiner;
  ~NegativeMiner() override;

  // For each example, up to per_example negatives, best first.
  virtual std::vector<std::vector<MinedNegative>> mine(const MiningInput& input) const = 0;
  // What the strategy used, for the run's log ("exact search over 10000 answers").
  virtual std::string describe_last_run() const { return ""; }
};

}  // namespace wizard
