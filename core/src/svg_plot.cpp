#include "svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <tuple>

namespace wizard::core {

namespace {

constexpr double kWidth = 460, kHeight = 270;
constexpr double kLeft = 64, kRight = 14, kTop = 40, kBottom = 36;
const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};

std::string number(double value) {
  char text[32];
  if (value != 0 && (std::fabs(value) >= 1e5 || std::fabs(value) < 1e-3)) {
    std::snprintf(text, sizeof text, "%.3g", value);
  } else {
    std::snprintf(text, sizeof text, "%.4g", value);
  }
  return text;
}

std::string coordinate(double value) {
  char text[24];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

// [low, high] widened when empty, so a constant series still gets an axis.
std::pair<double, double> padded_range(double low, double high) {
  if (high > low) {
    const double margin = (high - low) * 0.05;
    return {low - margin, high + margin};
  }
  const double half = low == 0 ? 1.0 : std::fabs(low) * 0.1;
  return {low - half, high + half};
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::vector<double> nice_ticks(double low, double high, int count) {
  const double span = high - low;
  if (!(span > 0) || count < 1) return {low};
  const double rough = span / count;
  const double magnitude = std::pow(10.0, std::floor(std::log10(rough)));
  double step = magnitude;
  for (const double factor : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = factor * magnitude;
    if (step >= rough) break;
  }
  std::vector<double> ticks;
  const double first = std::ceil(low / step);
  for (int i = 0;; ++i) {
    const double tick = (first + i) * step;
    if (tick > high + step * 1e-9) break;
    ticks.push_back(std::fabs(tick) < step * 1e-9 ? 0.0 : tick);
  }
  return ticks;
}

std::string svg_line_plot(const std::string& title, const std::vector<PlotSeries>& series) {
  double x_low = std::numeric_limits<double>::infinity(), x_high = -x_low;
  double y_low = x_low, y_high = -x_low;
  for (const auto& s : series) {
    for (const auto& [x, y] : s.points) {
      x_low = std::min(x_low, x);
      x_high = std::max(x_high, x);
      y_low = std::min(y_low, y);
      y_high = std::max(y_high, y);
    }
  }
  std::tie(x_low, x_high) = padded_range(x_low, x_high);
  std::tie(y_low, y_high) = padded_range(y_low, y_high);
  // The legend: entries left to right, wrapping onto further lines; the plot starts below.
  std::vector<std::pair<double, double>> legend_at;
  double legend_x = kLeft, legend_y = 29;
  for (const auto& s : series) {
    const double width = 30 + 6.5 * static_cast<double>(s.label.size());
    if (legend_x > kLeft && legend_x + width > kWidth - kRight) {
      legend_x = kLeft;
      legend_y += 13;
    }
    legend_at.emplace_back(legend_x, legend_y);
    legend_x += width;
  }
  const double top = kTop + (legend_y - 29);
  const double height = kHeight + (legend_y - 29);
  const double plot_width = kWidth - kLeft - kRight, plot_height = height - top - kBottom;
  auto px = [&](double x) { return kLeft + (x - x_low) / (x_high - x_low) * plot_width; };
  auto py = [&](double y) { return top + (y_high - y) / (y_high - y_low) * plot_height; };

  std::string svg = "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    coordinate(kWidth) + "\" height=\"" + coordinate(height) + "\" viewBox=\"0 0 " +
                    coordinate(kWidth) + " " + coordinate(height) +
                    "\" role=\"img\" aria-label=\"" + html_escape(title) + "\">\n";
  svg += "<text class=\"title\" x=\"" + coordinate(kLeft) + "\" y=\"16\">" + html_escape(title) +
         "</text>\n";
  svg += "<rect class=\"frame\" x=\"" + coordinate(kLeft) + "\" y=\"" + coordinate(top) +
         "\" width=\"" + coordinate(plot_width) + "\" height=\"" + coordinate(plot_height) +
         "\"/>\n";
  for (const double tick : nice_ticks(y_low, y_high, 5)) {
    const std::string y = coordinate(py(tick));
    svg += "<line class=\"grid\" x1=\"" + coordinate(kLeft) + "\" x2=\"" +
           coordinate(kLeft + plot_width) + "\" y1=\"" + y + "\" y2=\"" + y + "\"/>";
    svg += "<text class=\"tick\" text-anchor=\"end\" x=\"" + coordinate(kLeft - 4) + "\" y=\"" +
           coordinate(py(tick) + 4) + "\">" + number(tick) + "</text>\n";
  }
  for (const double tick : nice_ticks(x_low, x_high, 6)) {
    svg += "<text class=\"tick\" text-anchor=\"middle\" x=\"" + coordinate(px(tick)) + "\" y=\"" +
           coordinate(top + plot_height + 14) + "\">" + number(tick) + "</text>\n";
  }
  svg += "<text class=\"axis\" text-anchor=\"middle\" x=\"" + coordinate(kLeft + plot_width / 2) +
         "\" y=\"" + coordinate(height - 4) + "\">step</text>\n";
  for (std::size_t i = 0; i < series.size(); ++i) {
    const PlotSeries& s = series[i];
    const std::string color = kColors[i % (sizeof(kColors) / sizeof(kColors[0]))];
    const std::string dash = s.dashed ? " stroke-dasharray=\"5 3\"" : "";
    const auto [lx, ly] = legend_at[i];
    svg += "<line x1=\"" + coordinate(lx) + "\" x2=\"" + coordinate(lx + 18) + "\" y1=\"" +
           coordinate(ly) + "\" y2=\"" + coordinate(ly) + "\" stroke=\"" + color +
           "\" stroke-width=\"2\"" + dash + "/>";
    svg += "<text class=\"legend\" x=\"" + coordinate(lx + 22) + "\" y=\"" + coordinate(ly + 4) +
           "\">" + html_escape(s.label) + "</text>\n";
    std::string points;
    for (const auto& [x, y] : s.points) points += coordinate(px(x)) + "," + coordinate(py(y)) + " ";
    svg += "<polyline class=\"series\" data-label=\"" + html_escape(s.label) + "\" points=\"" +
           points + "\" fill=\"none\" stroke=\"" + color + "\" stroke-width=\"2\"" + dash + "/>\n";
    if (s.points.size() <= 60) {
      for (const auto& [x, y] : s.points) {
        svg += "<circle cx=\"" + coordinate(px(x)) + "\" cy=\"" + coordinate(py(y)) +
               "\" r=\"3\" fill=\"" + color + "\"><title>" + html_escape(s.label) + " at step " +
               number(x) + ": " + number(y) + "</title></circle>";
      }
      svg += "\n";
    }
  }
  return svg + "</svg>\n";
}

}  // namespace wizard::core
