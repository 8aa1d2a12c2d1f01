// training-wizard's preprocessing steps, in their order, on rows that keep
// their origins; token counts come from tokenizer_cases.json (HF's counts).
#include "wizard/data/preprocessing.hpp"
#include "data_test_util.hpp"

namespace wizard {
namespace {

using test::error_of;

Dataset rows_of(const std::vector<Row>& rows) {
  Dataset out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out.append(rows[i], RowOrigin{"d.jsonl", static_cast<std::int64_t>(i + 1)});
  }
  return out;
}

Dataset numbered(int n) {
  std::vector<Row> rows;
  for (int i = 0; i < n; ++i) rows.push_back(Row{{"i", i}, {"text", "t" + std::to_string(i)}});
  return rows_of(rows);
}

const TokenizerLoader no_tokenizer = [](const std::string&) -> Tokenizer {
  throw std::logic_error("no tokenizer expected");
};

TEST(Preprocessing, SelectThenRenameKeepingOrigins) {
  Preprocessing steps;
  steps.select_columns = {"text", "i"};
  steps.rename_columns = {{"text", "prompt"}, {"i", "text"}};
  const Dataset out = steps.apply(numbered(3), no_tokenizer);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out.row(2).dump(), R"({"prompt":"t2","text":2})");
  EXPECT_EQ(out.where(2), "d.jsonl:3");
}

TEST(Preprocessing, UnknownAndCollidingColumnsSaySo) {
  Preprocessing select;
  select.select_columns = {"txet"};
  EXPECT_CONTAINS(
      error_of([&] { select.apply(numbered(1), no_tokenizer); }),
      "select_columns names column 'txet', but the rows have: i, text; did you mean 'text'?");
  Preprocessing rename;
  rename.rename_columns = {{"i", "text"}};
  EXPECT_CONTAINS(error_of([&] { rename.apply(numbered(1), no_tokenizer); }),
                  "already have a column 'text'");
}

TEST(Preprocessing, ShuffleAsHfDatasetsThenTake) {
  Preprocessing steps;
  steps.shuffle_seed = 42;  // NumPy: default_rng(42).permutation(10) = [5, 6, 0, 7, 3, ...]
  steps.take = 3;
  const Dataset out = steps.apply(numbered(10), no_tokenizer);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out.row(0)["i"], 5);
  EXPECT_EQ(out.row(1)["i"], 6);
  EXPECT_EQ(out.row(2)["i"], 0);
  EXPECT_EQ(out.where(0), "d.jsonl:6");
  Preprocessing all;
  all.take = 0;  // training-wizard: 0 means no limit
  EXPECT_EQ(all.apply(numbered(4), no_tokenizer).size(), 4u);
}

struct CountedText {
  std::string text;
  std::int64_t tokens;  // HF's count with special tokens
};

std::vector<CountedText> llama3_bos_counts() {
  const auto cases = test::read_json(test::refs_dir() / "tokenizer_cases.json");
  std::vector<CountedText> out;
  for (const auto& c : cases.at("cases")) {
    out.push_back(
        {c.at("text"), static_cast<std::int64_t>(
                           c.at("results").at("llama3_bos").at("ids_add_special_tokens").size())});
  }
  return out;
}

TEST(GoldenPreprocessing, TokenLengthFilterCountsAsTransformers) {
  const auto counted = llama3_bos_counts();
  ASSERT_GE(counted.size(), 3u);
  std::vector<Row> rows;
  for (const auto& c : counted) rows.push_back(Row{{"a", c.text}, {"b", c.text}});
  const std::int64_t limit = counted[counted.size() / 2].tokens;
  std::string requested;
  const TokenizerLoader loader = [&](const std::string& name) {
    requested = name;
    return Tokenizer::from_pretrained(test::refs_path("public/tokenizers/llama3_bos"));
  };
  for (const auto aggregation :
       {TokenLengthFilter::Aggregation::Sum, TokenLengthFilter::Aggregation::Max}) {
    Preprocessing steps;
    steps.token_length_filter = TokenLengthFilter{{"a", "b"}, limit, "llama3-bos", aggregation};
    const Dataset out = steps.apply(rows_of(rows), loader);
    std::vector<std::string> expected;
    for (const auto& c : counted) {
      const std::int64_t total =
          aggregation == TokenLengthFilter::Aggregation::Sum ? 2 * c.tokens : c.tokens;
      if (total <= limit) expected.push_back(c.text);
    }
    ASSERT_EQ(out.size(), expected.size());
    for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out.row(i)["a"], expected[i]);
  }
  EXPECT_EQ(requested, "llama3-bos");
}

TEST(Preprocessing, TokenLengthFilterNeedsStrings) {
  Preprocessing steps;
  steps.token_length_filter = TokenLengthFilter{{"i"}, 5, "m", TokenLengthFilter::Aggregation::Sum};
  const TokenizerLoader loader = [](const std::string&) {
    return Tokenizer::from_pretrained(test::refs_path("public/tokenizers/qwen3"));
  };
  EXPECT_CONTAINS(error_of([&] { steps.apply(numbered(2), loader); }),
                  "d.jsonl:1: preprocessing.token_length_filter counts the tokens of 'i', but this "
                  "row's value is number, not a string");
}

Config table_of(ConfigValue::Table entries) {
  ConfigValue root = ConfigValue::table();
  root.set("preprocessing", ConfigValue::table(std::move(entries), {"t.toml", 3, 1}));
  return Config(std::move(root)).table("preprocessing");
}

TEST(Preprocessing, FromConfig) {
  const Preprocessing steps = Preprocessing::from_config(table_of({
      {"select_columns", ConfigValue::array({ConfigValue::string("a")})},
      {"rename_columns", ConfigValue::table({{"a", ConfigValue::string("b")}})},
      {"shuffle", ConfigValue::table({{"seed", ConfigValue::integer(7)}})},
      {"take", ConfigValue::integer(5)},
      {"token_length_filter", ConfigValue::table({{"column", ConfigValue::string("b")},
                                                  {"max_length", ConfigValue::integer(9)},
                                                  {"pretrained_name", ConfigValue::string("m")},
                                                  {"aggregation", ConfigValue::string("max")}})},
  }));
  EXPECT_EQ(steps.select_columns, std::vector<std::string>{"a"});
  EXPECT_EQ(steps.rename_columns.at(0), (std::pair<std::string, std::string>{"a", "b"}));
  EXPECT_EQ(steps.shuffle_seed, 7u);
  EXPECT_EQ(steps.take, 5);
  ASSERT_TRUE(steps.token_length_filter);
  EXPECT_EQ(steps.token_length_filter->columns, std::vector<std::string>{"b"});
  EXPECT_EQ(steps.token_length_filter->aggregation, TokenLengthFilter::Aggregation::Max);
  EXPECT_EQ(
      Preprocessing::from_config(table_of({{"shuffle", ConfigValue::boolean(true)}})).shuffle_seed,
      42u);
  EXPECT_FALSE(Preprocessing::from_config(table_of({})).shuffle_seed);
  EXPECT_THROW(Preprocessing::from_config(table_of({{"take", ConfigValue::integer(-1)}})),
               ConfigError);
}

}  // namespace
}  // namespace wizard
