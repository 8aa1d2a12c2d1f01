// Line plots as inline SVG for the run report: one plot per quantity, a few series each (train
// solid, eval dashed), axes with round ticks, and each point's value in a hover title.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace wizard::core {

struct PlotSeries {
  std::string label;
  std::vector<std::pair<double, double>> points;  // (step, value), finite values only
  bool dashed = false;
};

// An <svg class="plot"> element; `title` above it, steps along x.
std::string svg_line_plot(const std::string& title, const std::vector<PlotSeries>& series);

// "&", "<", ">", quotes escaped.
std::string html_escape(const std::string& text);

// Round tick positions covering [low, high] (about `count` of them).
std::vector<double> nice_ticks(double low, double high, int count);

}  // namespace wizard::core
