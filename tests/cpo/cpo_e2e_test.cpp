// The cpo recipe through the wizard binary.
#include <gtest/gtest.h>

#include <fstream>

#include "run_outputs.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/tokenizer/tokenizer.hpp"

namespace fs = std::filesystem;
using wizard::test::losses_after;
using wizard::test::metric_series;
using wizard::test::read_metrics;
using wizard::test::run_wizard;
using wizard::test::RunResult;
using wizard::test::synthetic_config;
using wizard::test::tiny_model;

namespace {

fs::path shared_dir() {
  return wizard::test::refs_dir().parent_path().parent_path();
}

}  // namespace

TEST(CpoRecipe, TrainingWizardConfigRunsUnchanged) {
  // ../shared/compat: training-wizard's own examples/cpo/config.toml, its data, and an HF
  // cache holding the model it names. Only output_dir moves (the fixture is read-only).
  const fs::path project = shared_dir() / "compat" / "training-wizard";
  ASSERT_TRUE(fs::exists(project / "examples/cpo/config.toml")) << project;
  const fs::path out = wizard::test::temp_dir("compat") / "out";
  const RunResult r =
      run_wizard("run examples/cpo/config.toml --set training_args_spec.output_dir=" + out.string(),
                 project, "HF_HOME='" + (shared_dir() / "compat" / "hf_cache").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto metrics = read_metrics(out);
  EXPECT_FALSE(metric_series(metrics, "eval_rewards/accuracies").empty());
  EXPECT_FALSE(metric_series(metrics, "train_loss").empty());
  // An HF-format model that loads back, with its tokenizer.
  for (const char* file :
       {"config.json", "model.safetensors", "tokenizer.json", "resolved_config.toml"}) {
    EXPECT_TRUE(fs::exists(out / file)) << file;
  }
  EXPECT_NO_THROW(wizard::model::CausalLM::from_pretrained(out));
  EXPECT_NO_THROW(wizard::Tokenizer::from_pretrained(out));
  // The last step's checkpoint (how many steps depends on how the packed sampler fills
  // micro-batches).
  const auto steps = metric_series(metrics, "train_loss").size();
  ASSERT_EQ(steps, 1u);
  const int last_step = metrics.back()["step"].get<int>();
  EXPECT_TRUE(fs::exists(out / ("checkpoint-" + std::to_string(last_step)) / "model.safetensors"));
}

TEST(CpoRecipe, EveryExampleConfigPassesCheck) {
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(wizard::test::source_dir() / "examples")) {
    const fs::path config = entry.path() / "config.toml";
    if (!fs::exists(config)) continue;
    SCOPED_TRACE(config.string());
    const std::string text = wizard::test::read_text(config);
    // Examples name real hub models; tests have no downloads, so check them with a tiny one.
    std::string overrides;
    if (text.find("[transformer_spec]") != std::string::npos) {
      overrides = " --set transformer_spec.pretrained_name=" + tiny_model().string() +
                  " --set training_args_spec.output_dir=" +
                  (wizard::test::temp_dir("example-check") / "out").string();
    }
    const RunResult r =
        run_wizard("check " + config.string() + overrides, wizard::test::source_dir());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_CONTAINS(r.output, "check passed");
    // Every example opens with its how-to comment block.
    EXPECT_EQ(text.rfind("# ", 0), 0u);
    EXPECT_CONTAINS(text, "How to run");
    EXPECT_CONTAINS(text, "What to expect");
    ++checked;
  }
  EXPECT_GE(checked, 3);
}

TEST(CpoRecipe, ATinyRunLowersTheLossAndRaisesHeldOutAccuracy) {
  const fs::path dir = synthetic_config(
      "learns",
      "eval_strategy = \"steps\"\neval_steps = 30\neval_on_start = true\nmax_steps = 30\n", 400);
  const RunResult r = run_wizard("run config.toml", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto metrics = read_metrics(dir / "out");
  const auto loss = metric_series(metrics, "loss");
  const auto accuracy = metric_series(metrics, "eval_rewards/accuracies");
  const auto eval_loss = metric_series(metrics, "eval_loss");
  ASSERT_GE(loss.size(), 10u);
  ASSERT_EQ(accuracy.size(), 2u);  // before training and after 30 steps
  EXPECT_LT(loss.back(), loss.front());
  EXPECT_LT(eval_loss.back(), eval_loss.front());
  EXPECT_GT(accuracy.back(), accuracy.front());
}

TEST(CpoRecipe, EvaluateFirstStepEvaluatesAfterStepOne) {
  const fs::path dir = synthetic_config(
      "evaluate-first-step", "max_steps = 3\n[callbacks_spec]\nevaluate_first_step = true\n", 64);
  const RunResult r = run_wizard("run config.toml", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<int> eval_steps;
  for (const auto& line : read_metrics(dir / "out")) {
    if (line.contains("eval_loss")) eval_steps.push_back(line["step"].get<int>());
  }
  EXPECT_EQ(eval_steps, std::vector<int>{1});  // eval_strategy "no": only the callback's

  const fs::path no_validation = synthetic_config(
      "evaluate-first-step-no-validation", "[callbacks_spec]\nevaluate_first_step = true\n", 64);
  std::string text = wizard::test::read_text(no_validation / "config.toml");
  text.replace(text.find("validation = 24\n"), 16, "");
  std::ofstream(no_validation / "config.toml") << text;
  const RunResult refused = run_wizard("check config.toml", no_validation);
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_CONTAINS(refused.output, "callbacks_spec.evaluate_first_step");
}

TEST(CpoRecipe, ResumedRunEqualsUninterruptedRun) {
  const std::string args = "max_steps = 6\nsave_strategy = \"steps\"\nsave_steps = 3\n";
  const fs::path whole = synthetic_config("resume-whole", args);
  ASSERT_EQ(run_wizard("run config.toml", whole).exit_code, 0);
  const fs::path resumed =
      synthetic_config("resume-half", args + "resume_from_checkpoint = \"" +
                                          (whole / "out" / "checkpoint-3").string() + "\"\n");
  const RunResult r = run_wizard("run config.toml", resumed);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto a = read_metrics(whole / "out");
  const auto b = read_metrics(resumed / "out");
  const auto expected = losses_after(a, 3);
  ASSERT_EQ(expected.size(), 3u);
  EXPECT_EQ(losses_after(b, 3), expected);  // bit for bit
}

TEST(CpoRecipe, EveryLossTypeRunsWithoutRebuilding) {
  for (const char* loss : {"sigmoid", "hinge", "ipo", "simpo", "alphapo"}) {
    SCOPED_TRACE(loss);
    const fs::path dir = synthetic_config(std::string("loss-") + loss, "max_steps = 2\n", 40);
    const RunResult r =
        run_wizard(std::string("run config.toml --set training_args_spec.loss_type=") + loss, dir);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(metric_series(read_metrics(dir / "out"), "loss").size(), 2u);
  }
}

TEST(CpoRecipe, NonFiniteLossStopsTheRunAndKeepsTheLastCheckpoint) {
  const fs::path dir = synthetic_config(
      "nan", "max_steps = 20\nsave_strategy = \"steps\"\nsave_steps = 1\nmax_grad_norm = 0\n");
  // The largest learning rate accepted, unclipped, overflows float16 activations within a
  // few steps (1e30, which did it in float32, is now refused as a typo).
  const RunResult r = run_wizard(
      "run config.toml --set training_args_spec.learning_rate=10 --set "
      "training_args_spec.fp16=true",
      dir);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_CONTAINS(r.output, "step");
  EXPECT_TRUE(fs::exists(dir / "out" / "checkpoint-1" / "model.safetensors")) << r.output;
}

TEST(CpoRecipe, BadInputIsReportedWithWhereAndWhat) {
  const fs::path dir = synthetic_config("errors", "max_steps = 1\n");
  const RunResult typo =
      run_wizard("check config.toml --set training_args_spec.lerning_rate=1", dir);
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_CONTAINS(typo.output, "did you mean 'learning_rate'?");
  const RunResult loss =
      run_wizard("check config.toml --set training_args_spec.loss_type=sigmod", dir);
  EXPECT_EQ(loss.exit_code, 2);
  EXPECT_CONTAINS(loss.output, "did you mean 'sigmoid'?");
  const RunResult model =
      run_wizard("check config.toml --set transformer_spec.pretrained_name=nobody/nothing", dir,
                 "HF_HOME='" + (dir / "empty-cache").string() + "'");
  EXPECT_EQ(model.exit_code, 1);
  EXPECT_CONTAINS(model.output, "nobody/nothing");
  EXPECT_CONTAINS(model.output, "huggingface-cli download");
  // A second run into the same output folder would overwrite the first.
  ASSERT_EQ(run_wizard("run config.toml", dir).exit_code, 0);
  const RunResult again = run_wizard("run config.toml", dir);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_CONTAINS(again.output, "overwrite_output_dir");
}
