// A short CPO run through the wizard binary with evaluation, generate_during_eval and
// report_to = "all": samples.jsonl at each evaluation, TensorBoard and MLflow files, and a
// report.html that headless Chromium renders with every plot drawn and no page error.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <map>

#include "browser_check.hpp"
#include "run_outputs.hpp"

namespace wizard::test {
namespace {

namespace fs = std::filesystem;

struct SampledRun {
  fs::path dir;
  RunResult result;
};

const SampledRun& sampled_run() {
  static const SampledRun run = [] {
    SampledRun r;
    r.dir = synthetic_config("report-e2e",
                             "eval_strategy = \"steps\"\neval_steps = 2\nmax_steps = 4\n"
                             "eval_on_start = true\ngenerate_during_eval = true\n"
                             "eval_sample_size = 3\nreport_to = \"all\"\n"
                             "[generation]\nmax_new_tokens = 6\n",
                             64);
    r.result = run_wizard("run config.toml", r.dir);
    return r;
  }();
  return run;
}

TEST(ReportE2e, GenerateDuringEvalWritesTheSameThreePromptsAtEveryEvaluation) {
  const SampledRun& run = sampled_run();
  ASSERT_EQ(run.result.exit_code, 0) << run.result.output;
  std::vector<int> eval_steps;
  for (const auto& line : read_metrics(run.dir / "out")) {
    if (line.contains("eval_loss")) eval_steps.push_back(line["step"].get<int>());
  }
  EXPECT_EQ(eval_steps, (std::vector<int>{0, 2, 4}));
  std::map<int, std::vector<std::string>> prompts_by_step;
  std::ifstream samples(run.dir / "out" / "samples.jsonl");
  for (std::string line; std::getline(samples, line);) {
    const auto sample = nlohmann::json::parse(line);
    for (const char* key : {"prompt", "chosen", "rejected", "policy"}) {
      EXPECT_TRUE(sample[key].is_string()) << key << " in " << line;
    }
    EXPECT_FALSE(sample["chosen"].get<std::string>().empty());
    prompts_by_step[sample["step"].get<int>()].push_back(sample["prompt"].get<std::string>());
  }
  ASSERT_EQ(prompts_by_step.size(), 3u);
  for (const auto& [step, prompts] : prompts_by_step) {
    EXPECT_EQ(prompts.size(), 3u) << "step " << step;
    EXPECT_EQ(prompts, prompts_by_step.begin()->second) << "step " << step;
  }
}

TEST(ReportE2e, ReportToAllWritesTensorBoardAndMlflow) {
  const SampledRun& run = sampled_run();
  ASSERT_EQ(run.result.exit_code, 0) << run.result.output;
  bool events = false;
  for (const auto& entry : fs::recursive_directory_iterator(run.dir / "out" / "runs")) {
    events |= entry.path().filename().string().find("tfevents") != std::string::npos;
  }
  EXPECT_TRUE(events);
  EXPECT_TRUE(fs::exists(run.dir / "out" / "mlruns" / "0" / "meta.yaml"));
}

TEST(ReportE2e, TheRunsReportRendersInChromiumWithEveryPlotDrawn) {
  const SampledRun& run = sampled_run();
  ASSERT_EQ(run.result.exit_code, 0) << run.result.output;
  const fs::path report = run.dir / "out" / "report.html";
  ASSERT_TRUE(fs::exists(report)) << run.result.output;
  const std::string html = read_text(report);
  EXPECT_NE(html.find("<h2>Samples</h2>"), std::string::npos);
  EXPECT_NE(html.find("finished"), std::string::npos);
  const auto chromium = chromium_binary();
  if (!chromium) {
    GTEST_SKIP() << "no chromium on PATH (Debian: apt-get install chromium; CI installs it)";
  }
  const fs::path screenshot = run.dir / "report.png";
  const RenderedReport rendered = render_in_chromium(*chromium, report, screenshot);
  EXPECT_EQ(rendered.page_errors, "") << rendered.browser_output;
  ASSERT_GE(rendered.plots.size(), 8u) << rendered.browser_output;
  for (const auto& [title, drawn] : rendered.plots) EXPECT_GT(drawn, 0) << title;
  ASSERT_TRUE(fs::exists(screenshot)) << rendered.browser_output;
  EXPECT_GT(fs::file_size(screenshot), 20000u);  // a blank page is a few kilobytes
  RecordProperty("screenshot", screenshot.string());
  std::cout << "screenshot: " << screenshot.string() << "\n";
}

}  // namespace
}  // namespace wizard::test
