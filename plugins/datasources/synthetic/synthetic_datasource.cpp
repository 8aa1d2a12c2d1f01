// synthetic: generated preference rows (prompt, chosen, rejected, and optionally more
// negatives) in TRL's standard format. Tasks a small model can learn from scratch, with rejected
// answers that are plausible mistakes (for smoke tests and the quickstart),
// and random text of chosen lengths (for benchmarks).
//
//   [dataset_spec]
//   spec_class = "synthetic"
//   task = "uppercase"          # uppercase | reverse | random_text
//   rows = 2000
//   seed = 0
//   word_length = [3, 8]        # uppercase / reverse
//   prompt_length = [64, 256]   # random_text, in characters
//   answer_length = [32, 256]   # random_text, in characters
//   negatives = 0               # more wrong answers per row (a `negatives` list): easy ones
//   hard_negatives = 0          # near misses (a `hard_negatives` list)
#include <cstdint>
#include <random>

#include "synthetic_tasks.hpp"
#include "wizard/plugin/datasource.hpp"
#include "wizard/plugin/export.hpp"

namespace {

using wizard::synthetic::LengthRange;

LengthRange read_range(const wizard::Config& config, const std::string& key, LengthRange fallback) {
  const auto values = config.get<std::vector<std::int64_t>>(key, {fallback.min, fallback.max});
  if (values.size() != 2 || values[0] < 1 || values[1] < values[0] || values[1] > 1'000'000) {
    config.fail(key, "must be [min, max] with 1 <= min <= max <= 1000000");
  }
  return {values[0], values[1]};
}

class SyntheticDataSource : public wizard::DataSource {
 public:
  static constexpr const char* kSummary =
      "generated preference pairs: uppercase/reverse tasks or random text of given lengths";

  static wizard::OptionDocs options() {
    return {{"task", "string", "uppercase", "uppercase, reverse or random_text"},
            {"rows", "int", "1000", "how many pairs"},
            {"seed", "int", "0", "the generator's seed"},
            {"word_length", "list[int]", "[3, 8]", "letters per word (uppercase, reverse)"},
            {"prompt_length", "list[int]", "[64, 256]", "prompt characters (random_text)"},
            {"answer_length", "list[int]", "[32, 256]", "answer characters (random_text)"},
            {"negatives", "int", "0",
             "more wrong answers per row, in a `negatives` list (easy: another word, the input "
             "untouched, the answer reversed; random text for random_text)"},
            {"hard_negatives", "int", "0",
             "near misses per row (one edit from the answer), in a `hard_negatives` list"}};
  }

  SyntheticDataSource(const wizard::Config& config, wizard::PluginHost&)
      : task_(config.get("task", "uppercase")),
        rows_(config.get_int("rows", 1000, 1, 100'000'000)),
        seed_(config.get_int("seed", 0, 0, INT64_MAX)),
        word_(read_range(config, "word_length", {3, 8})),
        prompt_(read_range(config, "prompt_length", {64, 256})),
        answer_(read_range(config, "answer_length", {32, 256})),
        negatives_(config.get_int("negatives", 0, 0, 64)),
        hard_negatives_(config.get_int("hard_negatives", 0, 0, 64)) {
    if (task_ != "uppercase" && task_ != "reverse" && task_ != "random_text") {
      config.fail("task", "'" + task_ + "' is not a task; use uppercase, reverse or random_text");
    }
    if (hard_negatives_ > 0 && task_ == "random_text")
      config.fail("hard_negatives", "random_text has no near misses; use negatives");
    if (task_ == "reverse" && word_.min < 2)
      config.fail("word_length", "reverse needs words of 2+ letters");
    if (task_ == "uppercase" && word_.min < 2)
      config.fail("word_length", "uppercase needs words of 2+ letters");
  }

  wizard::Dataset load() override {
    std::mt19937_64 rng(static_cast<std::uint64_t>(seed_));
    // The extra negatives draw from their own stream, so the pairs stay those of the seed.
    std::mt19937_64 extra(static_cast<std::uint64_t>(seed_) ^ 0x6e656761746976ULL);
    wizard::Dataset rows;
    for (std::int64_t i = 0; i < rows_; ++i) {
      const auto pair = task_ == "uppercase" ? wizard::synthetic::uppercase_pair(rng, word_)
                        : task_ == "reverse"
                            ? wizard::synthetic::reverse_pair(rng, word_)
                            : wizard::synthetic::random_text_pair(rng, prompt_, answer_);
      wizard::Row row;
      row["prompt"] = pair.prompt;
      row["chosen"] = pair.chosen;
      row["rejected"] = pair.rejected;
      if (negatives_ > 0) {
        row["negatives"] = wizard::synthetic::more_negatives(
            extra, task_, pair, static_cast<std::size_t>(negatives_), false);
      }
      if (hard_negatives_ > 0) {
        row["hard_negatives"] = wizard::synthetic::more_negatives(
            extra, task_, pair, static_cast<std::size_t>(hard_negatives_), true);
      }
      rows.append(std::move(row), {describe(), 0});
    }
    return rows;
  }

  std::string describe() const override {
    return "synthetic " + task_ + " (" + std::to_string(rows_) + " rows, seed " +
           std::to_string(seed_) + ")";
  }

 private:
  std::string task_;
  std::int64_t rows_;
  std::int64_t seed_;
  LengthRange word_;
  LengthRange prompt_;
  LengthRange answer_;
  std::int64_t negatives_;
  std::int64_t hard_negatives_;
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_DATASOURCE(SyntheticDataSource, synthetic)
