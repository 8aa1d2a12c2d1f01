// The console progress display and the metrics.jsonl writer.
#include <gtest/gtest.h>

#include <sstream>

#include "test_support.hpp"
#include "train_test_support.hpp"
#include "wizard/train/metrics_log.hpp"
#include "wizard/train/progress.hpp"

using wizard::train::ProgressDisplay;

TEST(Progress, FormatsDurations) {
  EXPECT_EQ(ProgressDisplay::format_duration(0), "00:00");
  EXPECT_EQ(ProgressDisplay::format_duration(87), "01:27");
  EXPECT_EQ(ProgressDisplay::format_duration(3725), "1:02:05");
  EXPECT_EQ(ProgressDisplay::format_duration(-1), "?");
}

TEST(Progress, BarRedrawsInPlaceAndPrintsLinesAboveIt) {
  std::ostringstream out;
  {
    ProgressDisplay progress(10, 0, ProgressDisplay::Mode::bar, &out);
    progress.update(3, "loss 0.6931");
    progress.print_above([&] { out << "a log line\n"; });
    progress.finish();
  }
  const std::string text = out.str();
  EXPECT_NE(text.find("\r\033[K3/10 ["), std::string::npos) << text;
  EXPECT_NE(text.find(" 30% "), std::string::npos) << text;
  EXPECT_NE(text.find("loss 0.6931"), std::string::npos) << text;
  // The bar is cleared before the line and redrawn after it.
  EXPECT_NE(text.find("\r\033[Ka log line\n3/10 ["), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
}

TEST(Progress, AfterFinishLinesAreNotFollowedByTheBar) {
  std::ostringstream out;
  ProgressDisplay progress(2, 0, ProgressDisplay::Mode::bar, &out);
  progress.update(2, "");
  progress.finish();
  const std::size_t finished = out.str().size();
  progress.print_above([&] { out << "summary\n"; });
  EXPECT_EQ(out.str().substr(finished), "summary\n");
}

TEST(Progress, WithoutATerminalLogsPeriodicLines) {
  wizard::test::LogCapture log(spdlog::level::info);
  ProgressDisplay progress(4, 0, ProgressDisplay::Mode::lines, nullptr,
                           /*line_interval_seconds=*/0.0);
  progress.update(1, "loss 1.5");
  progress.finish();
  EXPECT_NE(log.text().find("step 1/4 (25%)"), std::string::npos) << log.text();
  EXPECT_NE(log.text().find("left, "), std::string::npos) << log.text();
  EXPECT_NE(log.text().find("loss 1.5"), std::string::npos) << log.text();
}

TEST(Progress, OffPrintsNothing) {
  std::ostringstream out;
  ProgressDisplay progress(4, 0, ProgressDisplay::Mode::off, &out);
  progress.update(2, "x");
  progress.finish();
  EXPECT_EQ(out.str(), "");
}

TEST(MetricsLog, LinesPutStepAndEpochFirst) {
  const nlohmann::json event = {{"loss", 0.5}, {"epoch", 0.25}, {"step", 3}, {"grad_norm", 1.0}};
  EXPECT_EQ(wizard::train::log_event_line(event),
            R"({"step":3,"epoch":0.25,"grad_norm":1.0,"loss":0.5})");
  EXPECT_EQ(wizard::train::describe_log_event(event),
            "step 3 | epoch 0.25 | grad_norm 1 | loss 0.5");
}

TEST(MetricsLog, RestartRewritesTheHistory) {
  const auto dir = wizard::test::temp_dir("metrics-log");
  wizard::train::MetricsLog log(dir / "metrics.jsonl");
  log.restart({});
  for (int step = 1; step <= 3; ++step) log.append({{"step", step}, {"loss", 1.0 / step}});
  EXPECT_EQ(wizard::test::read_jsonl(dir / "metrics.jsonl").size(), 3u);
  // A resume from step 1 drops what came after it.
  log.restart({{{"step", 1}, {"loss", 1.0}}});
  log.append({{"step", 2}, {"loss", 0.25}});
  const auto lines = wizard::test::read_jsonl(dir / "metrics.jsonl");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["loss"], 0.25);
}
