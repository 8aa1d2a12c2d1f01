// report.html from a run folder made in the test: every standard plot with its series, the
// quantities not logged named, the facts, the samples and the config, nothing from the
// network; and the plot helpers' arithmetic.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>

#include "run_report.hpp"
#include "svg_plot.hpp"
#include "test_support.hpp"

namespace wizard::test {
namespace {

namespace fs = std::filesystem;

void expect_ticks(const std::vector<double>& actual, const std::vector<double>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(actual[i], expected[i], 1e-12);
}

TEST(SvgPlot, TicksAreRoundNumbersCoveringTheRange) {
  // Span 1 in about 5 steps: step 0.2 (the first of 1, 2, 2.5, 5, 10 x 0.1 that is >= 0.2).
  expect_ticks(core::nice_ticks(0, 1, 5), {0, 0.2, 0.4, 0.6, 0.8, 1});
  // Span 1.1, rough step 0.22: 0.25.
  expect_ticks(core::nice_ticks(-0.05, 1.05, 5), {0, 0.25, 0.5, 0.75, 1});
  // Span 900 in about 6: rough 150, step 200.
  expect_ticks(core::nice_ticks(50, 950, 6), {200, 400, 600, 800});
}

TEST(SvgPlot, EachSeriesIsAPolylineThroughItsPoints) {
  const std::string svg = core::svg_line_plot(
      "loss <train>",
      {{"train", {{1, 0.5}, {2, 0.25}, {3, 0.125}}, false}, {"eval", {{3, 0.3}}, true}});
  EXPECT_NE(svg.find("aria-label=\"loss &lt;train&gt;\""), std::string::npos);
  const std::regex polyline(
      "<polyline class=\"series\" data-label=\"([a-z]+)\" points=\"([^\"]*)\"");
  std::vector<std::pair<std::string, int>> found;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), polyline);
       it != std::sregex_iterator(); ++it) {
    const std::string points = (*it)[2].str();
    found.emplace_back((*it)[1].str(),
                       static_cast<int>(std::count(points.begin(), points.end(), ',')));
  }
  EXPECT_EQ(found, (std::vector<std::pair<std::string, int>>{{"train", 3}, {"eval", 1}}));
  EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);  // eval is dashed
  EXPECT_NE(svg.find("<title>train at step 2: 0.25</title>"), std::string::npos);
}

fs::path fake_run() {
  const fs::path dir = temp_dir("report") / "run";
  fs::create_directories(dir);
  std::ofstream metrics(dir / "metrics.jsonl");
  for (int step = 1; step <= 4; ++step) {
    metrics << nlohmann::json{{"step", step},
                              {"epoch", step / 4.0},
                              {"loss", 1.0 / step},
                              {"nll_loss", 2.0 / step},
                              {"rewards/chosen", -0.1 * step},
                              {"rewards/rejected", -0.2 * step},
                              {"rewards/margins", 0.1 * step},
                              {"rewards/accuracies", 0.25 * step},
                              {"logps/chosen", -3.0 / step},
                              {"learning_rate", 1e-3},
                              {"tokens_per_second", 100.0 + step}}
                   .dump()
            << "\n";
    if (step % 2 == 0) {
      metrics << nlohmann::json{{"step", step},        {"epoch", step / 4.0},
                                {"eval_loss", 0.9},    {"eval_rewards/accuracies", 0.5},
                                {"eval_runtime", 1.5}, {"eval_exact_match", 0.25 * step}}
                     .dump()
              << "\n";
    }
  }
  metrics << nlohmann::json{{"step", 4},
                            {"epoch", 1.0},
                            {"train_runtime", 12.5},
                            {"train_loss", 0.5}}
                 .dump()
          << "\n";
  std::ofstream(dir / "samples.jsonl") << nlohmann::json{{"step", 2},
                                                         {"prompt", "Say <hi>"},
                                                         {"chosen", "HI"},
                                                         {"rejected", "hi"},
                                                         {"policy", "HI!"}}
                                              .dump()
                                       << "\n";
  std::ofstream(dir / "resolved_config.toml") << "spec_class = \"cpo\"\n";
  core::write_run_info(dir, {{"status", "finished"},
                             {"recipe", "cpo"},
                             {"seconds", 75.0},
                             {"peak_rss_bytes", 2147483648.0},
                             {"summary", "train: 96 pairs"}});
  return dir;
}

TEST(RunReport, ShowsPlotsFactsSamplesAndConfigFromTheRunFolder) {
  const fs::path dir = fake_run();
  const std::string html = read_text(core::write_run_report(dir));
  for (const char* title :
       {"loss", "NLL loss", "rewards: chosen and rejected", "reward margins", "preference accuracy",
        "learning rate", "training tokens/s", "logps/chosen", "exact_match"}) {
    EXPECT_NE(html.find(std::string("aria-label=\"") + title + "\""), std::string::npos) << title;
  }
  // grad_norm was not logged: named, not plotted; eval bookkeeping is not plotted.
  EXPECT_NE(html.find("Not logged in this run: gradient norm (before clipping)."),
            std::string::npos);
  EXPECT_EQ(html.find("aria-label=\"eval_runtime\""), std::string::npos);
  // The loss plot holds train (4 points) and eval (2 points, dashed).
  EXPECT_NE(html.find("data-label=\"train\""), std::string::npos);
  EXPECT_NE(html.find("data-label=\"eval\""), std::string::npos);
  EXPECT_NE(html.find("0:01:15 (75.0 s)"), std::string::npos);
  EXPECT_NE(html.find("2.00 GiB"), std::string::npos);
  EXPECT_NE(html.find("train: 96 pairs"), std::string::npos);
  EXPECT_NE(html.find("train_runtime"), std::string::npos);
  EXPECT_NE(html.find("Say &lt;hi&gt;"), std::string::npos);
  EXPECT_NE(html.find("HI!"), std::string::npos);
  EXPECT_NE(html.find("spec_class = &quot;cpo&quot;"), std::string::npos);
  // Self-contained: the only URL is SVG's namespace name.
  const std::regex url("https?://[^\"<]*");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), url); it != std::sregex_iterator();
       ++it) {
    EXPECT_EQ(it->str(), "http://www.w3.org/2000/svg");
  }
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
}

TEST(RunReport, AFolderWithoutMetricsStillGetsAPageAndABadLineIsAnError) {
  const fs::path dir = temp_dir("report-empty");
  EXPECT_NE(read_text(core::write_run_report(dir)).find("metrics.jsonl is absent or empty"),
            std::string::npos);
  std::ofstream(dir / "metrics.jsonl") << "{\"step\": 1}\nnot json\n";
  try {
    core::write_run_report(dir);
    FAIL() << "no error";
  } catch (const std::exception& error) {
    EXPECT_NE(std::string(error.what()).find("metrics.jsonl:2"), std::string::npos) << error.what();
  }
  EXPECT_THROW(core::write_run_report(dir / "absent"), std::exception);
}

}  // namespace
}  // namespace wizard::test
