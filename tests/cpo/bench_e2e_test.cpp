// `wizard bench` on the tiny model: every figure is printed, the config's output folder is
// left alone, and bad options are usage errors (exit code 2).
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "run_outputs.hpp"

namespace fs = std::filesystem;
using wizard::test::run_wizard;
using wizard::test::synthetic_config;

namespace {

// The number after `label` in `text` (the first match), or -1.
double figure(const std::string& text, const std::string& label) {
  const std::regex pattern(label + R"(\s+([0-9.]+))");
  std::smatch match;
  return std::regex_search(text, match, pattern) ? std::stod(match[1]) : -1;
}

}  // namespace

TEST(Bench, PrintsEveryFigureForBothModes) {
  const fs::path dir = synthetic_config("bench", "");
  const auto r = run_wizard(
      "bench config.toml --steps 2 --warmup 1 --baseline --synthetic --prompt-length 8:24 "
      "--answer-length 4:16 --rows 64",
      dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string& out = r.output;
  EXPECT_GT(figure(out, "bf16 GEMM rate \\(at::mm 2048\\^3, [0-9]+ threads\\):"), 0) << out;
  for (const char* mode : {"\nbaseline: ", "\nwizard: "}) {
    const auto at = out.find(mode);
    ASSERT_NE(at, std::string::npos) << out;
    const std::string section = out.substr(at);
    EXPECT_GT(figure(section, "non-padding tokens/s"), 0) << section;
    EXPECT_GT(figure(section, "step time"), 0) << section;
    EXPECT_GT(figure(section, "of which +forward"), 0) << section;
    EXPECT_GE(figure(section, "optimizer"), 0) << section;
    EXPECT_GT(figure(section, "processor time"), 0) << section;  // cores busy on average
    EXPECT_NE(section.find("% of it in the kernel;"), std::string::npos) << section;
    EXPECT_NE(section.find(" page faults per step"), std::string::npos) << section;
    EXPECT_GT(figure(section, "peak RSS"), 0) << section;
    EXPECT_GT(figure(section, "model FLOP/s"), 0) << section;
    EXPECT_NE(section.find("% of the bf16 GEMM rate"), std::string::npos) << section;
    EXPECT_NE(section.find("2 steps after 1 warm-up"), std::string::npos) << section;
  }
  EXPECT_GT(figure(out, "wizard / baseline:"), 0) << out;
  EXPECT_NE(out.find("padded batch, prompts twice, full-vocabulary logits"), std::string::npos);
  EXPECT_NE(out.find("packed rows, shared prompts"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "out")) << "bench wrote into the config's output_dir";
}

TEST(Bench, RunsTheConfigsOwnDataWithoutBaseline) {
  const fs::path dir = synthetic_config("bench-own-data", "");
  const auto r = run_wizard("bench config.toml --steps 1 --warmup 0", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_GT(figure(r.output, "non-padding tokens/s"), 0) << r.output;
  EXPECT_EQ(r.output.find("baseline:"), std::string::npos) << r.output;
}

namespace {

// The byte count printed after `label` in the --memory section.
std::int64_t bytes_after(const std::string& text, const std::string& label) {
  const std::regex pattern(label + R"(\s+([0-9]+) B = )");
  std::smatch match;
  return std::regex_search(text, match, pattern) ? std::stoll(match[1]) : -1;
}

}  // namespace

TEST(Bench, MemoryReportsBytesByKind) {
  // The tiny model trains every parameter: gradients take what the weights take, float32
  // moments 8 bytes per parameter; 8-bit moments 2 bytes (+ absmax) where a parameter has at
  // least 4096 elements, so far less.
  const fs::path dir = synthetic_config("bench-memory", "");
  std::map<std::string, std::int64_t> state;
  for (const char* optim : {"adamw_torch", "adamw_8bit"}) {
    SCOPED_TRACE(optim);
    const auto r = run_wizard(std::string("bench config.toml --steps 1 --warmup 0 --memory "
                                          "--set training_args_spec.optim=") +
                                  optim,
                              dir);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::string& out = r.output;
    ASSERT_NE(out.find("memory (--memory)"), std::string::npos) << out;
    const std::int64_t weights = bytes_after(out, "weights");
    EXPECT_GT(weights, 0) << out;
    EXPECT_EQ(bytes_after(out, "gradients"), weights) << out;
    EXPECT_GE(bytes_after(out, "master weights"), 0) << out;
    EXPECT_GE(bytes_after(out, "activations"), 0) << out;
    EXPECT_GT(bytes_after(out, "peak RSS"), bytes_after(out, "RSS at start")) << out;
    const std::regex parameters(R"(([0-9.]+) M parameters, ([0-9.]+) M trainable)");
    std::smatch match;
    ASSERT_TRUE(std::regex_search(out, match, parameters)) << out;
    EXPECT_EQ(match[1], match[2]);
    state[optim] = bytes_after(out, "optimizer state");
  }
  EXPECT_LT(state["adamw_8bit"] * 3, state["adamw_torch"]);
  EXPECT_GT(state["adamw_8bit"], state["adamw_torch"] / 4);
}

TEST(Bench, BadOptionsAreUsageErrors) {
  const fs::path dir = synthetic_config("bench-usage", "");
  for (const char* args :
       {"--steps 0", "--warmup -1", "--prompt-length 8:24", "--synthetic --prompt-length 9:3",
        "--synthetic --answer-length x", "--synthetic --rows 0", "--frobnicate"}) {
    SCOPED_TRACE(args);
    const auto r = run_wizard(std::string("bench config.toml ") + args, dir);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("error"), std::string::npos) << r.output;
  }
  const auto missing = run_wizard("bench", dir);
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  // A recipe without a training step.
  const auto inspect =
      run_wizard("bench " + (wizard::test::source_dir() / "examples/inspect/config.toml").string(),
                 wizard::test::source_dir());
  EXPECT_EQ(inspect.exit_code, 2) << inspect.output;
  EXPECT_NE(inspect.output.find("recipe 'inspect'"), std::string::npos) << inspect.output;
}

TEST(Bench, ThreeNegativesPerPromptAgainstTrlsPaddedPairs) {
  const fs::path dir = synthetic_config("bench-negatives", "");
  const auto r = run_wizard(
      "bench config.toml --steps 1 --warmup 0 --baseline --synthetic --negatives 3 "
      "--prompt-length 16:24 --answer-length 4:8 --rows 32",
      dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("each negative its own padded pair (prompts 6 times)"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("up to 3 negatives per example"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("negatives:  3 per example"), std::string::npos) << r.output;
  EXPECT_GT(figure(r.output, "wizard / baseline:"), 0) << r.output;
  // --negatives describes generated data.
  const auto refused = run_wizard("bench config.toml --negatives 3", dir);
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
}
