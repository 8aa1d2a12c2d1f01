#include "wizard/data/validation_split.hpp"

#include <cmath>

#include "wizard/base/error.hpp"
#include "wizard/data/numpy_random.hpp"

namespace wizard {

namespace {

// The last steps of HF's train_test_split: n_test rows from the front of the
// permutation, the rest after them.
TrainValidation split(const Dataset& rows, std::int64_t n_test, std::uint64_t seed) {
  const auto n = static_cast<std::int64_t>(rows.size());
  if (n - n_test <= 0) {
    throw Error("validation takes " + std::to_string(n_test) + " of the " + std::to_string(n) +
                " training rows, so no training rows would remain; ask for fewer");
  }
  const auto order = numpy_permutation(n, {seed});
  TrainValidation out;
  out.validation = rows.select(std::vector<std::size_t>(order.begin(), order.begin() + n_test));
  out.train = rows.select(std::vector<std::size_t>(order.begin() + n_test, order.end()));
  return out;
}

}  // namespace

TrainValidation split_validation_rows(const Dataset& rows, std::int64_t count, std::uint64_t seed) {
  const auto n = static_cast<std::int64_t>(rows.size());
  if (count <= 0 || count >= n) {
    throw Error("validation = " + std::to_string(count) + " rows must be between 1 and " +
                std::to_string(n - 1) + " (the training data has " + std::to_string(n) + " rows)");
  }
  return split(rows, count, seed);
}

TrainValidation split_validation_fraction(const Dataset& rows, double fraction,
                                          std::uint64_t seed) {
  if (!(fraction > 0.0 && fraction < 1.0)) {
    throw Error("validation = " + std::to_string(fraction) +
                " as a fraction must be between 0 and 1 (exclusive)");
  }
  const auto n_test =
      static_cast<std::int64_t>(std::ceil(fraction * static_cast<double>(rows.size())));
  return split(rows, n_test, seed);
}

TrainValidation validation_from_config(const Dataset& train, const Config& recipe,
                                       const std::string& key, std::uint64_t seed,
                                       const DataSourceLoader& load) {
  const ConfigValue* value = recipe.find(key);
  if (!value) return {train, std::nullopt};
  try {
    switch (value->kind()) {
      case ConfigValue::Kind::Integer:
        return split_validation_rows(train, value->as_integer(), seed);
      case ConfigValue::Kind::Float:
        return split_validation_fraction(train, value->as_float(), seed);
      case ConfigValue::Kind::Table:
        return {train, load(recipe.table(key))};
      default:
        break;
    }
  } catch (const ConfigError&) {
    throw;
  } catch (const Error& error) {
    recipe.fail(key, error.what());
  }
  recipe.fail(key, std::string("must be a number of rows (int), a fraction (float) or a "
                               "datasource table, but it is ") +
                       value->kind_name());
}

}  // namespace wizard
