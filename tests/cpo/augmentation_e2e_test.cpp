// Paraphrase augmentation through the wizard binary: the tiny model paraphrases a share of
// the training prompts into extra rows (same answers) cached in cache/paraphrases.jsonl; the
// cache is reused, a run cut short resumes it to the same file, the paraphrases depend only on
// the seed; another model (augmentation_model) paraphrases, and must be a model wizard runs.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

#include "run_outputs.hpp"

namespace fs = std::filesystem;
using wizard::test::run_wizard;
using wizard::test::RunResult;
using wizard::test::synthetic_config;

namespace {

const char* kParaphrase =
    "max_steps = 1\naugment_data = true\naugmentation_strategy = \"paraphrase\"\n"
    "augmentation_ratio = 0.25\naugmentation_max_new_tokens = 12\naugmentation_batch_size = 4\n";

std::vector<std::string> lines_of(const fs::path& file) {
  std::vector<std::string> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The number after `before` in `text` (-1 when absent).
long long number_after(const std::string& text, const std::string& before) {
  const auto at = text.find(before);
  return at == std::string::npos ? -1 : std::stoll(text.substr(at + before.size()));
}

// Everything in out/ but the cache, so the folder can be run again.
void keep_only_cache(const fs::path& out) {
  for (const auto& entry : fs::directory_iterator(out)) {
    if (entry.path().filename() != "cache") fs::remove_all(entry.path());
  }
}

}  // namespace

TEST(ParaphraseAugmentation, AddsRowsWithParaphrasedPromptsAndReusesItsCache) {
  const fs::path dir = synthetic_config("paraphrase", kParaphrase);
  // `wizard check` generates nothing.
  const RunResult checked = run_wizard("check config.toml", dir);
  ASSERT_EQ(checked.exit_code, 0) << checked.output;
  EXPECT_FALSE(fs::exists(dir / "out" / "cache" / "paraphrases.jsonl"));
  const RunResult r = run_wizard("run config.toml", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const long long added = number_after(r.output, "augmentation (paraphrase): ");
  const long long drawn = number_after(r.output, "paraphrased prompts, of ");
  const long long empty = number_after(r.output, "; dropped ");
  const long long same = number_after(r.output, " empty and ");
  ASSERT_GT(drawn, 10);  // about a quarter of the 96 training rows
  EXPECT_LT(drawn, 40);
  EXPECT_EQ(added + empty + same, drawn) << r.output;
  EXPECT_GT(added, 0);
  EXPECT_CONTAINS(r.output, "(" + std::to_string(drawn) + " generated now");
  // The extra rows train: 96 rows + the added ones.
  EXPECT_CONTAINS(r.output, "; " + std::to_string(96 + added) + " training pairs now");

  const auto lines = lines_of(dir / "out" / "cache" / "paraphrases.jsonl");
  ASSERT_EQ(static_cast<long long>(lines.size()), drawn + 1);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["requests"].get<long long>(), drawn);
  long long kept = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto line = nlohmann::json::parse(lines[i]);
    EXPECT_EQ(line["request"].get<std::size_t>(), i - 1);
    EXPECT_EQ(line["batch"].get<std::size_t>(), (i - 1) / 4);
    if (line["kept"].get<bool>()) {
      ++kept;
      EXPECT_FALSE(line["paraphrase"].get<std::string>().empty());
    } else {
      EXPECT_TRUE(line["dropped"] == "empty" || line["dropped"] == "same as the prompt") << line;
    }
  }
  EXPECT_EQ(kept, added);

  // The same data, model and settings: nothing generated again, the same rows added.
  keep_only_cache(dir / "out");
  const RunResult again = run_wizard("run config.toml", dir);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_CONTAINS(again.output, "(0 generated now");
  EXPECT_EQ(number_after(again.output, "augmentation (paraphrase): "), added);
  EXPECT_EQ(lines_of(dir / "out" / "cache" / "paraphrases.jsonl"), lines);

  // Cut short after the first batch and in the middle of a line of the second: the run
  // generates the rest, and the file is what the uninterrupted run wrote.
  keep_only_cache(dir / "out");
  {
    std::ofstream cut(dir / "out" / "cache" / "paraphrases.jsonl");
    for (std::size_t i = 0; i < 5; ++i) cut << lines[i] << "\n";
    cut << lines[5] << "\n" << lines[6].substr(0, lines[6].size() / 2);
  }
  const RunResult resumed = run_wizard("run config.toml", dir);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_CONTAINS(resumed.output, "(" + std::to_string(drawn - 4) + " generated now");
  EXPECT_EQ(lines_of(dir / "out" / "cache" / "paraphrases.jsonl"), lines);

  // Another seed draws other rows and samples other paraphrases.
  const fs::path other =
      synthetic_config("paraphrase-seed", std::string(kParaphrase) + "seed = 7\n");
  const RunResult seven = run_wizard("run config.toml", other);
  ASSERT_EQ(seven.exit_code, 0) << seven.output;
  EXPECT_NE(lines_of(other / "out" / "cache" / "paraphrases.jsonl"), lines);
}

TEST(ParaphraseAugmentation, TheSameSeedGivesTheSameParaphrases) {
  const fs::path a = synthetic_config("paraphrase-a", kParaphrase);
  const fs::path b = synthetic_config("paraphrase-b", kParaphrase);
  for (const fs::path& dir : {a, b}) {
    const RunResult r = run_wizard("run config.toml", dir);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  const auto first = lines_of(a / "out" / "cache" / "paraphrases.jsonl");
  ASSERT_GT(first.size(), 1u);
  EXPECT_EQ(first, lines_of(b / "out" / "cache" / "paraphrases.jsonl"));
}

TEST(ParaphraseAugmentation, AnotherModelCanParaphrase) {
  const fs::path dir = synthetic_config("paraphrase-other", "");
  const RunResult made = run_wizard("init-model '" + (dir / "writer").string() +
                                        "' --hidden_size 32 --num_hidden_layers 1 --seed 5",
                                    dir);
  ASSERT_EQ(made.exit_code, 0) << made.output;
  std::ofstream(dir / "config.toml", std::ios::app)
      << kParaphrase << "augmentation_model = \"" << (dir / "writer").string() << "\"\n";
  const RunResult r = run_wizard("run config.toml", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_CONTAINS(r.output, "to paraphrase with " + (dir / "writer").string());
  // Another model's paraphrases: not the policy's (the same rows are drawn, same seed).
  const fs::path policy = synthetic_config("paraphrase-policy", kParaphrase);
  ASSERT_EQ(run_wizard("run config.toml", policy).exit_code, 0);
  const auto own = lines_of(dir / "out" / "cache" / "paraphrases.jsonl");
  const auto policys = lines_of(policy / "out" / "cache" / "paraphrases.jsonl");
  ASSERT_EQ(own.size(), policys.size());
  EXPECT_NE(nlohmann::json::parse(own[1])["paraphrase"],
            nlohmann::json::parse(policys[1])["paraphrase"]);
}

TEST(ParaphraseAugmentation, AugmentationModelMustBeAModel) {
  const fs::path dir = synthetic_config("paraphrase-model", "");
  fs::create_directories(dir / "not-a-model");
  std::ofstream(dir / "config.toml", std::ios::app)
      << kParaphrase << "augmentation_model = \"" << (dir / "not-a-model").string() << "\"\n";
  const RunResult r = run_wizard("run config.toml", dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_CONTAINS(r.output, "augmentation_model");
  EXPECT_CONTAINS(r.output, "is not a model wizard can run");
  // Paraphrase settings with the noise strategy are refused, naming the key.
  const fs::path noise = synthetic_config(
      "paraphrase-noise", "max_steps = 1\naugment_data = true\naugmentation_top_p = 0.5\n");
  const RunResult n = run_wizard("check config.toml", noise);
  EXPECT_NE(n.exit_code, 0);
  EXPECT_CONTAINS(n.output, "augmentation_top_p");
}
