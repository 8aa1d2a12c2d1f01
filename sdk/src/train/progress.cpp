#include "wizard/train/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "wizard/base/log.hpp"

namespace wizard::train {

namespace {

int terminal_columns() {
  winsize size{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 20) return size.ws_col;
  return 100;
}

}  // namespace

ProgressDisplay::ProgressDisplay(int64_t total_steps, int64_t first_step, Mode mode,
                                 std::ostream* bar_stream, double line_interval_seconds)
    : total_(std::max<int64_t>(total_steps, 1)),
      first_(first_step),
      step_(first_step),
      mode_(mode),
      out_(bar_stream ? bar_stream : &std::cerr),
      line_interval_(line_interval_seconds),
      start_(Clock::now()),
      last_draw_(start_) {
  if (mode_ == Mode::automatic) mode_ = ::isatty(STDERR_FILENO) ? Mode::bar : Mode::lines;
}

ProgressDisplay::~ProgressDisplay() {
  if (!finished_ && drawn_ && mode_ == Mode::bar) *out_ << '\n' << std::flush;
}

std::string ProgressDisplay::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto total = static_cast<int64_t>(std::llround(seconds));
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof(text), "%lld:%02lld:%02lld", static_cast<long long>(total / 3600),
                  static_cast<long long>(total / 60 % 60), static_cast<long long>(total % 60));
  } else {
    std::snprintf(text, sizeof(text), "%02lld:%02lld", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  }
  return text;
}

// "00:51<01:27 1.38s/it" (bar) or "00:51 elapsed, about 01:27 left, 1.38 s/step" (lines),
// measured over the steps of this process.
std::string ProgressDisplay::timing() const {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  const int64_t done = step_ - first_;
  const double per_step = done > 0 ? elapsed / static_cast<double>(done) : -1.0;
  const double remaining = per_step * static_cast<double>(total_ - step_);
  char speed[32];
  if (per_step < 0) {
    std::snprintf(speed, sizeof(speed), "?");
  } else if (mode_ == Mode::lines) {
    std::snprintf(speed, sizeof(speed), "%.2f s/step", per_step);
  } else if (per_step >= 1.0) {
    std::snprintf(speed, sizeof(speed), "%.2fs/it", per_step);
  } else {
    std::snprintf(speed, sizeof(speed), "%.2fit/s", 1.0 / per_step);
  }
  if (mode_ == Mode::lines) {
    return format_duration(elapsed) + " elapsed, about " + format_duration(remaining) + " left, " +
           speed;
  }
  return format_duration(elapsed) + "<" + format_duration(remaining) + " " + speed;
}

std::string ProgressDisplay::bar_line() const {
  const double fraction = std::min(1.0, static_cast<double>(step_) / static_cast<double>(total_));
  const std::string count = std::to_string(step_) + "/" + std::to_string(total_);
  char percent[8];
  std::snprintf(percent, sizeof(percent), "%3d%%", static_cast<int>(fraction * 100));
  const std::string tail =
      std::string(" ") + percent + " " + timing() + (status_.empty() ? "" : " " + status_);
  const int columns = terminal_columns() - 1;
  const int width = std::clamp(columns - static_cast<int>(count.size() + tail.size()) - 3, 10, 50);
  const int filled = static_cast<int>(fraction * width);
  std::string bar(static_cast<std::size_t>(width), ' ');
  std::fill(bar.begin(), bar.begin() + filled, '=');
  if (filled < width && filled > 0) bar[static_cast<std::size_t>(filled)] = '>';
  std::string line = count + " [" + bar + "]" + tail;
  if (static_cast<int>(line.size()) > columns)
    line.resize(static_cast<std::size_t>(std::max(columns, 0)));
  return line;
}

void ProgressDisplay::draw(bool force) {
  const auto now = Clock::now();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  if (mode_ == Mode::bar) {
    if (!force && drawn_ && since < 0.2) return;
    *out_ << "\r\033[K" << bar_line() << std::flush;
    drawn_ = true;
  } else if (mode_ == Mode::lines) {
    if (!force && since < line_interval_) return;
    const int percent =
        static_cast<int>(100.0 * static_cast<double>(step_) / static_cast<double>(total_));
    logger()->info("step {}/{} ({}%), {}{}", step_, total_, percent, timing(),
                   status_.empty() ? "" : ", " + status_);
  }
  last_draw_ = now;
}

void ProgressDisplay::update(int64_t step, const std::string& status) {
  step_ = step;
  status_ = status;
  draw(/*force=*/false);
}

void ProgressDisplay::print_above(const std::function<void()>& print) {
  const bool bar_shown = mode_ == Mode::bar && drawn_ && !finished_;
  if (bar_shown) *out_ << "\r\033[K" << std::flush;
  print();
  if (bar_shown) *out_ << bar_line() << std::flush;
}

void ProgressDisplay::finish() {
  if (finished_) return;
  finished_ = true;
  if (mode_ == Mode::off) return;
  draw(/*force=*/true);
  if (mode_ == Mode::bar) *out_ << '\n' << std::flush;
}

}  // namespace wizard::train
