// training-wizard's PreProcessingSpec: what a file datasource does to its rows
// after reading them, in this order:
//
//   [dataset_spec.preprocessing]
//   select_columns = ["input", "chosen", "rejected"]   # keep only these, in this order
//   rename_columns = { input = "prompt" }              # old name -> new name
//   shuffle = true                                     # or { seed = 7 }; default false
//   take = 1000                                        # the first n rows (0: all)
//   [dataset_spec.preprocessing.token_length_filter]   # drop rows with too many tokens
//   column = ["prompt", "chosen"]                      # a column or a list
//   max_length = 512
//   pretrained_name = "Qwen/Qwen3-0.6B"                # whose tokenizer counts
//   aggregation = "sum"                                # "sum" (default) or "max" over the columns
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "wizard/base/config.hpp"
#include "wizard/base/export.hpp"
#include "wizard/data/dataset.hpp"
#include "wizard/tokenizer/tokenizer.hpp"

namespace wizard {

// Loads the tokenizer a token_length_filter names (a folder or a hub name).
using TokenizerLoader = std::function<Tokenizer(const std::string& pretrained_name)>;

// training-wizard's TokenLengthFilter: keeps rows whose columns' token counts
// (special tokens included, as a transformers tokenizer call counts them),
// summed or their maximum, are at most max_length.
struct TokenLengthFilter {
  enum class Aggregation { Sum, Max };
  std::vector<std::string> columns;
  std::int64_t max_length = 0;
  std::string pretrained_name;
  Aggregation aggregation = Aggregation::Sum;
};

struct WIZARD_API Preprocessing {
  std::vector<std::string> select_columns;                          // empty: every column
  std::vector<std::pair<std::string, std::string>> rename_columns;  // old -> new
  std::optional<std::uint64_t> shuffle_seed;                        // set: shuffle
  std::int64_t take = 0;                                            // 0: every row
  std::optional<TokenLengthFilter> token_length_filter;

  // The documented options, named "<prefix>.select_columns", ...
  static OptionDocs options(const std::string& prefix = "preprocessing");
  // Reads the preprocessing table (absent: nothing to do).
  static Preprocessing from_config(const Config& table);

  // Applies the steps in order. Shuffling draws HF datasets' permutation
  // (NumPy's default_rng(seed)), so a seed picks the rows Dataset.shuffle(seed)
  // picks. Unknown columns are wizard::Errors listing the columns there are.
  Dataset apply(const Dataset& rows, const TokenizerLoader& load_tokenizer) const;
};

}  // namespace wizard
