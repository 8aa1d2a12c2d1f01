// training-wizard's `validation` key of a training recipe:
//
//   validation = 5            # 5 rows of the training data
//   validation = 0.1          # a tenth of the training data (rounded up)
//   [validation]              # or a datasource of its own
//   spec_class = "files"
//   data_files = "data/eval.jsonl"
//
// Rows are taken as training-wizard takes them: Hugging Face's
// train_test_split(test_size, shuffle=True, seed) with the run's seed, i.e.
// NumPy's default_rng(seed).permutation(n): its first test_size indices are the
// validation rows, the rest (in permuted order) the training rows.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "wizard/base/config.hpp"
#include "wizard/base/export.hpp"
#include "wizard/data/dataset.hpp"

namespace wizard {

struct TrainValidation {
  Dataset train;
  std::optional<Dataset> validation;  // none when the recipe asks for none
};

// train_test_split with test_size = `rows` (1 <= rows < size()).
WIZARD_API TrainValidation split_validation_rows(const Dataset& rows, std::int64_t count,
                                                 std::uint64_t seed);
// train_test_split with test_size = `fraction` (0 < fraction < 1): ceil(fraction * size()) rows.
WIZARD_API TrainValidation split_validation_fraction(const Dataset& rows, double fraction,
                                                     std::uint64_t seed);

// Creates and loads the datasource a config table names (recipes pass their PluginHost's).
using DataSourceLoader = std::function<Dataset(const Config& table)>;

// Reads `key` of `recipe` (absent: no validation; an int; a float; a datasource
// table) and splits or loads accordingly. Bad values are ConfigErrors at the key.
WIZARD_API TrainValidation validation_from_config(const Dataset& train, const Config& recipe,
                                                  const std::string& key, std::uint64_t seed,
                                                  const DataSourceLoader& load);

}  // namespace wizard
