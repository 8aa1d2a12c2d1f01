#include "wizard/data/preprocessing.hpp"

#include <algorithm>

#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/base/text.hpp"
#include "wizard/data/numpy_random.hpp"

namespace wizard {

namespace {

constexpr std::uint64_t kDefaultShuffleSeed = 42;

void check_column(const Dataset& rows, const std::string& column, const std::string& step) {
  const auto& columns = rows.columns();
  if (std::find(columns.begin(), columns.end(), column) != columns.end()) return;
  std::string message = "preprocessing." + step + " names column '" + column +
                        "', but the rows have: " + (columns.empty() ? "(none)" : join(columns));
  if (auto near = nearest_name(column, columns)) message += "; did you mean '" + *near + "'?";
  throw Error(message);
}

// Rebuilds every row with `change` applied, keeping origins.
template <class Change>
Dataset map_rows(const Dataset& rows, const Change& change) {
  Dataset out;
  for (std::size_t i = 0; i < rows.size(); ++i) out.append(change(rows.row(i)), rows.origin(i));
  return out;
}

Dataset keep_columns(const Dataset& rows, const std::vector<std::string>& columns) {
  for (const auto& column : columns) check_column(rows, column, "select_columns");
  return map_rows(rows, [&](const Row& row) {
    Row out = Row::object();
    for (const auto& column : columns) {
      const auto it = row.find(column);
      out[column] = it == row.end() ? Row(nullptr) : *it;
    }
    return out;
  });
}

Dataset renamed(const Dataset& rows,
                const std::vector<std::pair<std::string, std::string>>& renames) {
  for (const auto& rename : renames) {
    const std::string& from = rename.first;
    const std::string& to = rename.second;  // named: lambdas capture it (clang 14 can't bindings)
    check_column(rows, from, "rename_columns");
    const auto& columns = rows.columns();
    const bool renamed_away =
        std::any_of(renames.begin(), renames.end(), [&](const auto& r) { return r.first == to; });
    if (std::find(columns.begin(), columns.end(), to) != columns.end() && !renamed_away) {
      throw Error("preprocessing.rename_columns renames '" + from + "' to '" + to +
                  "', but the rows already have a column '" + to + "'");
    }
  }
  return map_rows(rows, [&](const Row& row) {
    Row out = Row::object();
    for (const auto& item : row.items()) {
      std::string name = item.key();
      for (const auto& [from, to] : renames) {
        if (name == from) {
          name = to;
          break;
        }
      }
      out[name] = item.value();
    }
    return out;
  });
}

Dataset shuffled(const Dataset& rows, std::uint64_t seed) {
  const auto order = numpy_permutation(static_cast<std::int64_t>(rows.size()), {seed});
  return rows.select(std::vector<std::size_t>(order.begin(), order.end()));
}

Dataset filter_token_lengths(const Dataset& rows, const TokenLengthFilter& filter,
                             const TokenizerLoader& load_tokenizer) {
  for (const auto& column : filter.columns)
    check_column(rows, column, "token_length_filter.column");
  const Tokenizer tokenizer = load_tokenizer(filter.pretrained_name);
  std::vector<std::int64_t> totals(rows.size(), 0);
  for (const auto& column : filter.columns) {
    std::vector<std::string> texts;
    texts.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto it = rows.row(i).find(column);
      if (it == rows.row(i).end() || !it->is_string()) {
        throw Error(rows.where(i) + ": preprocessing.token_length_filter counts the tokens of '" +
                    column + "', but this row's value is " +
                    (it == rows.row(i).end() ? "missing" : it->type_name()) + ", not a string");
      }
      texts.push_back(it->get<std::string>());
    }
    // A transformers tokenizer call adds special tokens by default, and the filter counts them.
    const auto encoded = tokenizer.encode_batch(texts, /*add_special_tokens=*/true);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto length = static_cast<std::int64_t>(encoded[i].size());
      totals[i] = filter.aggregation == TokenLengthFilter::Aggregation::Sum
                      ? totals[i] + length
                      : std::max(totals[i], length);
    }
  }
  std::vector<std::size_t> kept;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (totals[i] <= filter.max_length) kept.push_back(i);
  }
  logger()->info("token_length_filter: kept {} of {} rows ({} of {} tokens at most {})",
                 kept.size(), rows.size(),
                 filter.aggregation == TokenLengthFilter::Aggregation::Sum ? "sum" : "max",
                 join(filter.columns), filter.max_length);
  return rows.select(kept);
}

// Longer than any context a model has: a larger count is a typo.
constexpr std::int64_t kMaxTokens = 1 << 30;

TokenLengthFilter token_length_filter_from(const Config& table) {
  TokenLengthFilter filter;
  const ConfigValue* column = table.find("column");
  if (!column) table.fail("", "the required key 'column' is missing: name the column(s) to count");
  filter.columns = column->is(ConfigValue::Kind::String)
                       ? std::vector<std::string>{column->as_string()}
                       : table.require<std::vector<std::string>>("column");
  if (filter.columns.empty()) table.fail("column", "is empty: name at least one column");
  filter.max_length = table.require<std::int64_t>("max_length");
  table.check_int_range("max_length", filter.max_length, 1, kMaxTokens);
  filter.pretrained_name = table.require<std::string>("pretrained_name");
  const std::string aggregation = table.get<std::string>("aggregation", "sum");
  if (aggregation == "sum") {
    filter.aggregation = TokenLengthFilter::Aggregation::Sum;
  } else if (aggregation == "max") {
    filter.aggregation = TokenLengthFilter::Aggregation::Max;
  } else {
    table.fail("aggregation", "must be \"sum\" or \"max\", not \"" + aggregation + "\"");
  }
  return filter;
}

}  // namespace

OptionDocs Preprocessing::options(const std::string& prefix) {
  const std::string p = prefix + ".";
  return {
      {p + "select_columns", "list[string]", "", "keep only these columns, in this order"},
      {p + "rename_columns", "table", "", "rename columns: { old = \"new\", ... }"},
      {p + "shuffle", "bool|table", "false",
       "shuffle the rows (seed 42), or { seed = N }; as HF Dataset.shuffle(seed)"},
      {p + "shuffle.seed", "int", "42", "the shuffle's seed"},
      {p + "take", "int", "0", "keep the first n rows (0: all)"},
      {p + "token_length_filter.column", "string|list[string]", "", "the column(s) to count"},
      {p + "token_length_filter.max_length", "int", "", "the most tokens a row may have"},
      {p + "token_length_filter.pretrained_name", "string", "",
       "the model (folder or hub name) whose tokenizer counts"},
      {p + "token_length_filter.aggregation", "string", "sum",
       "sum of the columns' counts, or their max"},
  };
}

Preprocessing Preprocessing::from_config(const Config& table) {
  Preprocessing out;
  if (!table.exists()) return out;
  out.select_columns = table.get<std::vector<std::string>>("select_columns", {});
  if (const ConfigValue* renames = table.find("rename_columns")) {
    if (!renames->is(ConfigValue::Kind::Table)) {
      table.fail("rename_columns", "must be a table of old = \"new\" names");
    }
    const Config names = table.table("rename_columns");
    for (const auto& [from, to] : renames->as_table()) {
      out.rename_columns.emplace_back(from, names.require<std::string>(from));
    }
  }
  if (const ConfigValue* shuffle = table.find("shuffle")) {
    if (shuffle->is(ConfigValue::Kind::Table)) {
      const auto seed = table.table("shuffle").get<std::int64_t>("seed", kDefaultShuffleSeed);
      if (seed < 0) table.table("shuffle").fail("seed", "must be 0 or more");
      out.shuffle_seed = static_cast<std::uint64_t>(seed);
    } else if (table.get<bool>("shuffle", false)) {
      out.shuffle_seed = kDefaultShuffleSeed;
    }
  }
  out.take = table.get<std::int64_t>("take", 0);
  if (out.take < 0) table.fail("take", "must be 0 (all rows) or more");
  if (table.has("token_length_filter")) {
    out.token_length_filter = token_length_filter_from(table.table("token_length_filter"));
  }
  return out;
}

Dataset Preprocessing::apply(const Dataset& rows, const TokenizerLoader& load_tokenizer) const {
  Dataset out = select_columns.empty() ? rows : keep_columns(rows, select_columns);
  if (!rename_columns.empty()) out = renamed(out, rename_columns);
  if (shuffle_seed) out = shuffled(out, *shuffle_seed);
  if (take > 0 && static_cast<std::int64_t>(out.size()) > take) {
    out = out.slice(0, static_cast<std::size_t>(take));
  }
  if (token_length_filter) out = filter_token_lengths(out, *token_length_filter, load_tokenizer);
  return out;
}

}  // namespace wizard
