// The console progress display of a training run, on stderr:
//
//   a terminal:   " 37/100 [=======>            ]  37% 00:51<01:27 1.38s/it loss 0.6931"
//                 redrawn in place (at most 5 times a second); log lines are printed above it;
//   otherwise:    an info log line every `line_interval` seconds (and at the end):
//                 "step 37/100 (37%), 00:51 elapsed, about 01:27 left, 1.38 s/step, loss 0.6931"
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "wizard/base/export.hpp"

namespace wizard::train {

class WIZARD_API ProgressDisplay {
 public:
  enum class Mode { automatic, bar, lines, off };  // automatic: bar on a terminal, else lines

  ProgressDisplay(int64_t total_steps, int64_t first_step, Mode mode = Mode::automatic,
                  std::ostream* bar_stream = nullptr, double line_interval_seconds = 30.0);
  ~ProgressDisplay();
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  Mode mode() const { return mode_; }
  // The run reached `step`; `status` (e.g. "loss 0.6931") is shown after the timing.
  void update(int64_t step, const std::string& status);
  // Prints something (e.g. a log line) without tearing the bar: clears it, calls `print`, redraws.
  void print_above(const std::function<void()>& print);
  // Final redraw and newline (bar) or last line (lines).
  void finish();

  // "01:27", "1:02:03".
  static std::string format_duration(double seconds);

 private:
  using Clock = std::chrono::steady_clock;
  std::string bar_line() const;
  std::string timing() const;
  void draw(bool force);

  int64_t total_;
  int64_t first_;
  int64_t step_;
  std::string status_;
  Mode mode_;
  std::ostream* out_;
  double line_interval_;
  Clock::time_point start_;
  Clock::time_point last_draw_;
  bool drawn_ = false;
  bool finished_ = false;
};

}  // namespace wizard::train
