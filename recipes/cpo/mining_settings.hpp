// Hard-negative mining's options in training_args_spec (docs/cpo.md, "Hard-negative
// mining"): off unless create_hard_negatives; its other keys are refused while it is off.
#pragma once

#include <cstdint>
#include <string>

#include "wizard/base/config.hpp"
#include "wizard/plugin/plugin.hpp"

namespace wizard::cpo {

struct MiningSettings {
  bool enabled = false;  // create_hard_negatives
  std::string strategy;  // hard_negative_strategy: the miner plugin
  Config miner_table;    // the miner's own options (from training_args_spec)
  SourceLocation named_at;
  std::int64_t per_example = 4;       // mined_negatives_per_example
  std::int64_t exact_limit = 200000;  // mining_exact_limit
  std::int64_t batch_tokens = 8192;   // mining_batch_tokens
  std::string embedding_model;        // mining_embedding_model ("": the policy embeds)
  std::int64_t refresh_epochs = 0;    // mining_refresh_epochs (0: mined once, before training)

  static MiningSettings read(const Config& args, PluginHost& host);
  // The mining keys, and the options of the miner `args` chooses.
  static OptionDocs options(const Config& args, PluginHost& host);
};

}  // namespace wizard::cpo
