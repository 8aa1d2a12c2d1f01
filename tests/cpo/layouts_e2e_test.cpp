// The recipe's scoring layouts train alike. On the same micro-batches (the sequential
// sampler), packed rows with shared prompts (the default), packed rows computing each prompt
// twice, and TRL's padded batch with full-vocabulary logits (the bench baseline) give the
// same loss, log-probs and gradient norm, step for step; and the packed sampler (the
// default) trains without errors.
#include <gtest/gtest.h>

#include <cmath>

#include "run_outputs.hpp"

namespace fs = std::filesystem;
using wizard::test::metric_series;
using wizard::test::read_metrics;
using wizard::test::run_wizard;
using wizard::test::synthetic_config;

namespace {

const char* const kCompared[] = {"loss",           "grad_norm", "logps/chosen",
                                 "logps/rejected", "nll_loss",  "logits/chosen"};

std::vector<nlohmann::json> train(const std::string& name, const std::string& sets) {
  const fs::path dir =
      synthetic_config(name, "max_steps = 4\n[sampler]\nspec_class = \"sequential\"\n", 60);
  const auto r = run_wizard("run config.toml" + sets, dir);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return read_metrics(dir / "out");
}

// Step 1 runs on the same weights in both runs: float32 rounding only. Later steps carry
// that rounding through AdamW updates.
void expect_same_training(const std::vector<nlohmann::json>& a,
                          const std::vector<nlohmann::json>& b) {
  for (const char* name : kCompared) {
    SCOPED_TRACE(name);
    const auto x = metric_series(a, name);
    const auto y = metric_series(b, name);
    ASSERT_EQ(x.size(), 4u);
    ASSERT_EQ(y.size(), x.size());
    for (std::size_t step = 0; step < x.size(); ++step) {
      const double tolerance = (step == 0 ? 2e-5 : 2e-3) * std::max(1.0, std::abs(x[step]));
      EXPECT_NEAR(y[step], x[step], tolerance) << "step " << step + 1;
    }
  }
}

}  // namespace

TEST(CpoLayouts, SharedPromptsTrainAsUnshared) {
  expect_same_training(train("layout-shared", ""),
                       train("layout-unshared", " --set training_args_spec.prefix_sharing=false"));
}

TEST(CpoLayouts, PackedRowsTrainAsTrlsPaddedBatch) {
  expect_same_training(train("layout-packed", ""),
                       train("layout-padded", " --set training_args_spec.padding_free=false"));
}

TEST(CpoLayouts, ThePackedSamplerIsTheDefaultAndFillsATokenBudget) {
  const fs::path dir = synthetic_config("layout-sampler", "max_steps = 3\n", 200);
  const auto check = run_wizard("check config.toml", dir);
  ASSERT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("sampler packed"), std::string::npos) << check.output;
  const auto padded =
      run_wizard("check config.toml --set training_args_spec.padding_free=false", dir);
  EXPECT_NE(padded.output.find("sampler random"), std::string::npos) << padded.output;
  const auto r = run_wizard("run config.toml", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(metric_series(read_metrics(dir / "out"), "loss").size(), 3u);
}
