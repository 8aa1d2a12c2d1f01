// The embedding contrastive term through the wizard binary: it is logged and trains alone
// (preference_weight = 0, no NLL term); a run with every part of it (projection head, queue,
// the momentum copy of the model, SimCSE dropout) resumed from a checkpoint equals the
// uninterrupted run; a checkpoint without its state is refused on resume; its keys are refused
// while it is off.
#include <gtest/gtest.h>

#include "run_outputs.hpp"

namespace fs = std::filesystem;
using wizard::test::losses_after;
using wizard::test::metric_series;
using wizard::test::read_metrics;
using wizard::test::run_wizard;
using wizard::test::RunResult;
using wizard::test::synthetic_config;

TEST(Contrastive, TheTermAloneTrainsAndIsLogged) {
  const fs::path dir = synthetic_config(
      "contrastive-alone",
      "max_steps = 30\npreference_weight = 0\ncpo_alpha = 0\ncontrastive_weight = 1\n"
      "contrastive_temperature = 0.1\nprojection_dim = 16\n");
  const RunResult r = run_wizard("run config.toml", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto metrics = read_metrics(dir / "out");
  const auto contrastive = metric_series(metrics, "contrastive_loss");
  const auto loss = metric_series(metrics, "loss");
  const auto accuracy = metric_series(metrics, "contrastive/accuracy");
  ASSERT_EQ(contrastive.size(), 30u);
  ASSERT_EQ(accuracy.size(), 30u);
  // With the preference and NLL terms weighted 0, the loss is the contrastive term alone.
  for (std::size_t i = 0; i < loss.size(); ++i) EXPECT_NEAR(loss[i], contrastive[i], 1e-4);
  // It learns: the last 10 steps' mean clearly below the first 10's (about 2.22 -> 1.89).
  double first = 0, last = 0;
  for (int i = 0; i < 10; ++i) {
    first += contrastive[i];
    last += contrastive[contrastive.size() - 1 - i];
  }
  EXPECT_LT(last, 0.92 * first) << r.output;
  EXPECT_TRUE(fs::exists(dir / "out" / "contrastive_state.safetensors"));
}

TEST(Contrastive, ResumedRunWithQueueMomentumAndHeadEqualsTheWholeRun) {
  const std::string args =
      "max_steps = 6\nsave_strategy = \"steps\"\nsave_steps = 3\nnum_negatives = 2\n"
      "in_batch_negatives = true\ncontrastive_weight = 0.5\nprojection_dim = 8\n"
      "use_queue = true\nqueue_size = 20\nuse_momentum = true\nmomentum_beta = 0.9\n"
      "simcse_dropout = 0.1\n";
  const fs::path whole = synthetic_config("contrastive-resume-whole", args);
  const RunResult w = run_wizard("run config.toml", whole);
  ASSERT_EQ(w.exit_code, 0) << w.output;
  EXPECT_TRUE(fs::exists(whole / "out" / "checkpoint-3" / "contrastive_state.safetensors"));
  const fs::path resumed = synthetic_config(
      "contrastive-resume-half",
      args + "resume_from_checkpoint = \"" + (whole / "out" / "checkpoint-3").string() + "\"\n");
  const RunResult r = run_wizard("run config.toml", resumed);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto expected = losses_after(read_metrics(whole / "out"), 3);
  ASSERT_EQ(expected.size(), 3u);
  EXPECT_EQ(losses_after(read_metrics(resumed / "out"), 3), expected);
  const auto whole_con = metric_series(read_metrics(whole / "out"), "contrastive_loss");
  const auto resumed_con = metric_series(read_metrics(resumed / "out"), "contrastive_loss");
  // The resumed run's log carries the first 3 steps from the checkpoint, then its own.
  ASSERT_EQ(whole_con.size(), 6u);
  EXPECT_EQ(resumed_con, whole_con);

  // A run with the term resuming from a checkpoint saved without it is refused by name.
  const fs::path plain = synthetic_config(
      "contrastive-resume-plain", "max_steps = 2\nsave_strategy = \"steps\"\nsave_steps = 2\n");
  ASSERT_EQ(run_wizard("run config.toml", plain).exit_code, 0);
  const fs::path mixed =
      synthetic_config("contrastive-resume-mixed",
                       "max_steps = 4\ncontrastive_weight = 1\nresume_from_checkpoint = \"" +
                           (plain / "out" / "checkpoint-2").string() + "\"\n");
  const RunResult m = run_wizard("run config.toml", mixed);
  EXPECT_NE(m.exit_code, 0);
  EXPECT_CONTAINS(m.output, "contrastive_state.safetensors is missing");
}

TEST(Contrastive, ItsKeysAreRefusedWhileItIsOff) {
  const fs::path dir = synthetic_config("contrastive-off", "max_steps = 1\nuse_queue = true\n");
  const RunResult r = run_wizard("check config.toml", dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_CONTAINS(r.output, "use_queue");
  EXPECT_CONTAINS(r.output, "set contrastive_weight > 0");
  const fs::path scope =
      synthetic_config("contrastive-scope",
                       "max_steps = 1\ncontrastive_weight = 1\nuse_momentum = true\n"
                       "momentum_scope = \"projection_head\"\n");
  const RunResult s = run_wizard("check config.toml", scope);
  EXPECT_NE(s.exit_code, 0);
  EXPECT_CONTAINS(s.output, "set projection_dim or momentum_scope = \"model\"");
}
