// output_dir/metrics.jsonl: one JSON object per log event, in the order they happened, each
// with "step" and "epoch" first, then the values in name order (HF's log_history entries, one
// per line):
//
//   {"step":10,"epoch":0.5,"loss":0.6931,"grad_norm":1.25,"learning_rate":1e-06,...}
//   {"step":10,"epoch":0.5,"eval_loss":0.69,"eval_runtime":1.2,...}
//
// A resumed run rewrites the file with the checkpoint's history first, so it holds the same
// lines as an uninterrupted run. Each line is written whole or not at all: a write that fails
// part-way (a full disk) is cut back to the previous line before the error is thrown, and a
// torn last line left by a killed process is replaced on resume.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "wizard/base/export.hpp"

namespace wizard::train {

using LogEvent = nlohmann::json;

class WIZARD_API MetricsLog {
 public:
  explicit MetricsLog(std::filesystem::path file);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;
  const std::filesystem::path& path() const { return path_; }

  // Replaces the file by `history` (empty for a fresh run), then appends from there.
  void restart(const std::vector<LogEvent>& history);
  // Writes one whole line (one write(2) call, retried until complete) or, failing, none.
  void append(const LogEvent& event);

 private:
  std::filesystem::path path_;
  int fd_ = -1;  // opened for appending
};

// The line metrics.jsonl holds for `event` (no newline).
WIZARD_API std::string log_event_line(const LogEvent& event);

// A one-line summary for the console: "step 10 | epoch 0.50 | loss 0.6931 | ...".
WIZARD_API std::string describe_log_event(const LogEvent& event);

}  // namespace wizard::train
