// Hard-negative mining through the wizard binary: semantic_search writes mined_negatives.jsonl
// (one line per training example, never its own chosen answer), its negatives train, a run on
// the same data, model and settings reuses the file; policy_score mines too; mining keys are
// refused while mining is off; another model embeds (mining_embedding_model); re-mining every
// epoch (mining_refresh_epochs) writes a file per refresh and resumes as the uninterrupted run.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "run_outputs.hpp"

namespace fs = std::filesystem;
using wizard::test::losses_after;
using wizard::test::metric_series;
using wizard::test::read_jsonl;
using wizard::test::read_metrics;
using wizard::test::run_wizard;
using wizard::test::RunResult;
using wizard::test::synthetic_config;

TEST(Mining, SemanticSearchMinesOtherAnswersAndIsReused) {
  const std::string args =
      "max_steps = 4\nnum_negatives = 2\nnegative_sampling_strategy = \"hard\"\n"
      "create_hard_negatives = true\nmined_negatives_per_example = 3\n";
  const fs::path dir = synthetic_config("mining-semantic", args);
  const RunResult r = run_wizard("run config.toml", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_CONTAINS(r.output, "exact search");
  const auto lines = read_jsonl(dir / "out" / "mined_negatives.jsonl");
  ASSERT_EQ(lines.size(), 97u);  // the header, then the 96 training examples (120 - 24 held out)
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto& line = lines[i];
    EXPECT_EQ(line.at("example").get<std::size_t>(), i - 1);
    ASSERT_EQ(line.at("negatives").size(), 3u);
    ASSERT_EQ(line.at("similarity").size(), 3u);
    // Best first, and never the example itself.
    EXPECT_GE(line["similarity"][0].get<double>(), line["similarity"][2].get<double>());
    for (const auto& source : line.at("from_examples")) EXPECT_NE(source.get<std::size_t>(), i - 1);
  }
  EXPECT_EQ(metric_series(read_metrics(dir / "out"), "loss").size(), 4u);

  // The same data, model and settings: the file is reused, not mined again.
  for (const auto& entry : fs::directory_iterator(dir / "out")) {
    if (entry.path().filename() != "mined_negatives.jsonl") fs::remove_all(entry.path());
  }
  const RunResult again = run_wizard("run config.toml", dir);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_CONTAINS(again.output, "reusing");
  EXPECT_EQ(again.output.find("exact search"), std::string::npos) << again.output;
}

TEST(Mining, PolicyScoreMines) {
  const fs::path dir = synthetic_config(
      "mining-policy",
      "max_steps = 2\ncreate_hard_negatives = true\nhard_negative_strategy = \"policy_score\"\n"
      "mined_negatives_per_example = 2\npolicy_score_candidates = 4\n");
  const RunResult r = run_wizard("run config.toml", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_CONTAINS(r.output, "candidates scored");
  const auto lines = read_jsonl(dir / "out" / "mined_negatives.jsonl");
  ASSERT_EQ(lines.size(), 97u);
  ASSERT_EQ(lines[1].at("score").size(), 2u);
  // The policy's mean log-probabilities, highest first.
  EXPECT_GE(lines[1]["score"][0].get<double>(), lines[1]["score"][1].get<double>());
  EXPECT_LT(lines[1]["score"][0].get<double>(), 0.0);
}

TEST(Mining, ItsKeysAreRefusedWhileItIsOff) {
  const fs::path dir =
      synthetic_config("mining-off", "max_steps = 1\nmined_negatives_per_example = 2\n");
  const RunResult r = run_wizard("check config.toml", dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_CONTAINS(r.output, "mined_negatives_per_example");
  EXPECT_CONTAINS(r.output, "set create_hard_negatives = true");
  const fs::path zero = synthetic_config(
      "mining-refresh", "max_steps = 1\ncreate_hard_negatives = true\nmining_refresh_epochs = 0\n");
  const RunResult p = run_wizard("check config.toml", zero);
  EXPECT_NE(p.exit_code, 0);
  EXPECT_CONTAINS(p.output, "mining_refresh_epochs");
}

TEST(Mining, AnotherModelCanEmbedTheAnswers) {
  const std::string args =
      "max_steps = 1\ncreate_hard_negatives = true\nmined_negatives_per_example = 2\n";
  const fs::path policy = synthetic_config("mining-embed-policy", args);
  ASSERT_EQ(run_wizard("run config.toml", policy).exit_code, 0);
  // A model of another size and seed, with the policy's tokenizer, then with a tokenizer.json
  // that differs (the same tokenizer written out again): its texts are re-encoded.
  const fs::path dir = synthetic_config("mining-embed", "");
  const RunResult made = run_wizard("init-model '" + (dir / "embedder").string() +
                                        "' --hidden_size 32 --num_hidden_layers 1 --seed 11",
                                    dir);
  ASSERT_EQ(made.exit_code, 0) << made.output;
  std::ofstream(dir / "config.toml", std::ios::app)
      << args << "mining_embedding_model = \"" << (dir / "embedder").string() << "\"\n";
  const RunResult r = run_wizard("run config.toml", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_CONTAINS(r.output, "embedder embeds the answers (the policy's tokenizer)");
  const auto own = read_jsonl(dir / "out" / "mined_negatives.jsonl");
  const auto policys = read_jsonl(policy / "out" / "mined_negatives.jsonl");
  ASSERT_EQ(own.size(), policys.size());
  std::size_t different = 0;
  for (std::size_t i = 1; i < own.size(); ++i) {
    different += own[i]["from_examples"] != policys[i]["from_examples"];
  }
  EXPECT_GT(different, 0u);  // other embeddings, other neighbours

  const nlohmann::json tokenizer =
      nlohmann::json::parse(std::ifstream(dir / "embedder" / "tokenizer.json"));
  std::ofstream(dir / "embedder" / "tokenizer.json") << tokenizer.dump(2);
  fs::remove_all(dir / "out");
  const RunResult again = run_wizard("run config.toml", dir);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_CONTAINS(again.output, "its own tokenizer: the texts re-encoded");
  EXPECT_EQ(read_jsonl(dir / "out" / "mined_negatives.jsonl").size(), own.size());

  // Not a model: refused, naming the key.
  const fs::path bad =
      synthetic_config("mining-embed-bad",
                       args + "mining_embedding_model = \"" + (dir / "nothing").string() + "\"\n");
  const RunResult refused = run_wizard("run config.toml", bad);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_CONTAINS(refused.output, "mining_embedding_model = ");
  EXPECT_CONTAINS(refused.output, "is not a model wizard can run");
}

TEST(Mining, RefreshesEveryEpochAndResumesAsTheUninterruptedRun) {
  // 32 training pairs in batches of 8: 4 steps an epoch, 3 epochs, re-mined at epochs 1 and 2.
  const std::string args =
      "num_train_epochs = 3\nnum_negatives = 2\nnegative_sampling_strategy = \"hard\"\n"
      "create_hard_negatives = true\nmined_negatives_per_example = 2\n"
      "mining_refresh_epochs = 1\nsave_strategy = \"steps\"\nsave_steps = 6\n";
  const fs::path whole = synthetic_config("mining-refresh-whole", args, 56);
  const RunResult w = run_wizard("run config.toml", whole);
  ASSERT_EQ(w.exit_code, 0) << w.output;
  EXPECT_CONTAINS(w.output, "(epoch 1, re-mined)");
  EXPECT_CONTAINS(w.output, "(epoch 2, re-mined)");
  const auto first = read_jsonl(whole / "out" / "mined_negatives.jsonl");
  const auto last = read_jsonl(whole / "out" / "mined_negatives-epoch-2.jsonl");
  ASSERT_TRUE(fs::exists(whole / "out" / "mined_negatives-epoch-1.jsonl"));
  ASSERT_EQ(first.size(), 33u);
  ASSERT_EQ(last.size(), 33u);
  // Two epochs of training moved the embeddings.
  std::size_t moved = 0;
  for (std::size_t i = 1; i < first.size(); ++i)
    moved += first[i]["similarity"] != last[i]["similarity"];
  EXPECT_GT(moved, 0u);

  // Resumed from step 6 (in epoch 1, after its re-mining) in another folder: the checkpoint
  // holds epoch 1's negatives; epoch 2 re-mines; the losses are the uninterrupted run's.
  const fs::path resumed = synthetic_config(
      "mining-refresh-resumed",
      args + "resume_from_checkpoint = \"" + (whole / "out" / "checkpoint-6").string() + "\"\n",
      56);
  const RunResult r = run_wizard("run config.toml", resumed);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("(epoch 1, re-mined)"), std::string::npos) << r.output;
  EXPECT_CONTAINS(r.output, "(epoch 2, re-mined)");
  const auto expected = losses_after(read_metrics(whole / "out"), 6);
  ASSERT_EQ(expected.size(), 6u);
  EXPECT_EQ(losses_after(read_metrics(resumed / "out"), 6), expected);
  EXPECT_EQ(read_jsonl(resumed / "out" / "mined_negatives-epoch-2.jsonl"), last);
}
