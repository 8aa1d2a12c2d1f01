// create_hard_negatives: before training, a miner plugin (hard_negative_strategy) finds each
// training example's hardest negatives among the other examples' chosen answers; each becomes
// a negative of the example (its prompt, then that answer, cut to max_length) with source
// `mined`, which the negative samplers treat as hard. The result is written to
// output_dir/mined_negatives.jsonl (a header line with the fingerprint of the data, the model
// files, the dtype and the settings, then one line per example: "example", "source_row",
// "negatives" (texts), the score, "from_examples") and reused while the fingerprint is the
// same (a resumed run mines nothing). Partial work (the answers' embeddings) is kept in
// output_dir/cache/mining-<fingerprint>/ until the file is written, so a killed run resumes it.
// Under data parallel the ranks share the mining (MiningContext::group).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "mining_settings.hpp"
#include "wizard/data/trl_preference.hpp"
#include "wizard/distributed/process_group.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/plugin/negative_miner.hpp"
#include "wizard/tokenizer/tokenizer.hpp"

namespace wizard::cpo {

struct MiningContext {
  const model::CausalLM* model = nullptr;  // the starting policy
  const Tokenizer* tokenizer = nullptr;    // for the texts in mined_negatives.jsonl
  std::filesystem::path model_dir;
  std::filesystem::path output_dir;
  std::int64_t max_length = 1024;  // a mined negative's prompt + answer tokens at most
  // mining_embedding_model, resolved (empty: the policy embeds). It is loaded (in the policy's
  // dtype, on its device) only when mining runs; when its tokenizer.json differs from the
  // policy's, each chosen sequence is given to it as its own tokens of the prompt's and the
  // answer's text (special tokens left out).
  std::filesystem::path embedding_model_dir;
  // mining_refresh_epochs: the epoch whose start re-mines with the policy's weights then
  // (0: before training), written to mined_negatives-epoch-<N>.jsonl (reused on resume: the
  // fingerprint names the epoch, not the weights, so such a file belongs to one run).
  std::int64_t epoch = 0;
  // Data parallel (null in one process): the ranks agree whether to mine, and then mine
  // together (the miner shares the work through `group`: each rank embeds its blocks of
  // answers into the scratch folder, searches and scores its share); rank 0 writes the file
  // and removes the scratch folder, and the other ranks read the file, waiting for it up to
  // `wait` (ddp_timeout).
  std::shared_ptr<distributed::ProcessGroup> group;
  std::chrono::seconds wait{0};
};

// The file a mining at the start of `epoch` writes (mined_negatives.jsonl for 0).
std::string mined_file_name(std::int64_t epoch);

// Per example, the examples whose chosen answers are its mined negatives, best first.
using MinedSources = std::vector<std::vector<std::int64_t>>;

// Mines, or reads what an earlier mining with the same fingerprint wrote.
MinedSources mine_or_reuse(const std::vector<TokenizedPreference>& pairs,
                           const NegativeMiner& miner, const MiningSettings& settings,
                           const MiningContext& context);

// Sets each example's mined negatives (an earlier mining's are replaced), each cut to
// `max_length` tokens; returns how many there are.
std::int64_t set_mined_negatives(std::vector<TokenizedPreference>& pairs,
                                 const MinedSources& sources, std::int64_t max_length);

}  // namespace wizard::cpo
