// Several negatives per prompt through the wizard binary: a tiny model learns to rank its
// chosen answer above all its negatives, a resumed run with policy-scored hard negatives
// equals the uninterrupted one, the reference model's precomputed log-probs give the same
// step as scoring it each step, and bad negative settings are refused by name.
#include <gtest/gtest.h>

#include <fstream>

#include "run_outputs.hpp"

namespace fs = std::filesystem;
using wizard::test::losses_after;
using wizard::test::metric_series;
using wizard::test::read_metrics;
using wizard::test::run_wizard;
using wizard::test::RunResult;
using wizard::test::synthetic_config;

namespace {

// synthetic_config's run on rows that also carry `negatives` and `hard_negatives` lists.
fs::path negatives_config(const std::string& name, const std::string& extra, int rows = 120,
                          int negatives = 2, int hard_negatives = 2) {
  const fs::path dir = synthetic_config(name, extra, rows);
  std::string text = wizard::test::read_text(dir / "config.toml");
  const std::string anchor = "spec_class = \"synthetic\"\n";
  text.insert(text.find(anchor) + anchor.size(),
              "negatives = " + std::to_string(negatives) +
                  "\nhard_negatives = " + std::to_string(hard_negatives) + "\n");
  std::ofstream(dir / "config.toml") << text;
  return dir;
}

}  // namespace

TEST(MultiNegative, ATinyModelLearnsToRankChosenAboveAllNegatives) {
  const fs::path dir = negatives_config(
      "multi-negative-learns",
      "eval_strategy = \"steps\"\neval_steps = 120\neval_on_start = true\nmax_steps = 120\n"
      "num_negatives = 3\nmulti_negative = \"softmax\"\ntemperature = 1.0\n",
      1000, 3, 0);
  EXPECT_CONTAINS(run_wizard("check config.toml", dir).output,
                  "negatives:  3 per example (random)");
  const RunResult r = run_wizard("run config.toml", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_CONTAINS(r.output, "chosen above all its negatives");
  const auto metrics = read_metrics(dir / "out");
  const auto all = metric_series(metrics, "eval_rewards/accuracies_all");
  const auto pairwise = metric_series(metrics, "eval_rewards/accuracies");
  ASSERT_EQ(all.size(), 2u);  // before training and after 120 steps
  // Each held-out example is compared with all 4 of its negatives (rejected, 3 easy ones): beating
  // all of them is rarer than beating one, and it must rise clearly.
  EXPECT_LE(all.front(), pairwise.front());
  EXPECT_GT(all.back(), all.front() + 0.2) << r.output;
  EXPECT_GT(pairwise.back(), pairwise.front() + 0.2) << r.output;
  const auto loss = metric_series(metrics, "loss");
  EXPECT_LT(loss.back(), loss.front());
}

TEST(MultiNegative, ResumedRunChoosesTheSameNegatives) {
  // Policy-scored hard negatives (refreshed every 2 steps) and random draws per visit: the
  // resumed half must replay the uninterrupted run's choices bit for bit.
  const std::string args =
      "max_steps = 6\nsave_strategy = \"steps\"\nsave_steps = 3\nnum_negatives = 2\n"
      "negative_sampling_strategy = \"mixed\"\nhard_negative_ratio = 0.5\n"
      "hard_negative_refresh_steps = 2\nin_batch_negatives = true\n";
  const fs::path whole = negatives_config("multi-negative-resume-whole", args, 120, 2, 0);
  ASSERT_EQ(run_wizard("run config.toml", whole).exit_code, 0);
  const fs::path resumed = negatives_config(
      "multi-negative-resume-half",
      args + "resume_from_checkpoint = \"" + (whole / "out" / "checkpoint-3").string() + "\"\n",
      120, 2, 0);
  const RunResult r = run_wizard("run config.toml", resumed);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto expected = losses_after(read_metrics(whole / "out"), 3);
  ASSERT_EQ(expected.size(), 3u);
  EXPECT_EQ(losses_after(read_metrics(resumed / "out"), 3), expected);
}

TEST(MultiNegative, PrecomputedReferenceEqualsTheReferenceScoredEachStep) {
  const std::string args = "max_steps = 2\nnum_negatives = 3\nreference_free = false\n";
  const fs::path each_step = negatives_config("reference-each-step", args);
  const RunResult summary = run_wizard("check config.toml", each_step);
  EXPECT_CONTAINS(summary.output, "reference model: the starting policy");
  const RunResult a = run_wizard("run config.toml", each_step);
  ASSERT_EQ(a.exit_code, 0) << a.output;
  const fs::path precomputed =
      negatives_config("reference-precomputed", args + "precompute_ref_log_probs = true\n");
  const RunResult b = run_wizard("run config.toml", precomputed);
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_TRUE(fs::exists(precomputed / "out" / "cache" / "reference_logps_train.safetensors"));
  const auto la = metric_series(read_metrics(each_step / "out"), "loss");
  const auto lb = metric_series(read_metrics(precomputed / "out"), "loss");
  ASSERT_EQ(la.size(), 2u);
  ASSERT_EQ(lb.size(), 2u);
  for (std::size_t i = 0; i < la.size(); ++i) EXPECT_NEAR(la[i], lb[i], 1e-5 * std::abs(la[i]));
  // The policy starts as the reference: at the first step every reward (beta x (s - s_ref))
  // is 0, so the sigmoid loss is log 2 plus the NLL term.
  const auto lines = read_metrics(each_step / "out");
  EXPECT_NEAR(lines.front()["rewards/chosen"].get<double>(), 0.0, 1e-6);
  EXPECT_NEAR(lines.front()["rewards/margins"].get<double>(), 0.0, 1e-6);
}

TEST(MultiNegative, BadNegativeSettingsAreRefusedByName) {
  struct Case {
    std::string extra;
    std::string expected;
  };
  const Case cases[] = {
      {"hard_negative_ratio = 0.5\n", "hard_negative_ratio"},
      {"num_negatives = 0\n", "num_negatives"},
      {"negative_sampling_strategy = \"nearest\"\n", "nearest"},
      {"reference_model_name = \"elsewhere\"\n", "reference_free = false"},
      {"reference_free = false\nprecompute_ref_log_probs = true\nin_batch_negatives = true\n",
       "in_batch_negatives"},
  };
  int index = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.extra);
    const fs::path dir = negatives_config("multi-negative-bad-" + std::to_string(index++), c.extra);
    const RunResult r = run_wizard("check config.toml", dir);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_CONTAINS(r.output, c.expected);
    EXPECT_CONTAINS(r.output, "config.toml:");  // where
  }
}
