#include "run_report.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "svg_plot.hpp"
#include "wizard/base/error.hpp"

namespace wizard::core {

namespace fs = std::filesystem;

namespace {

using Json = nlohmann::ordered_json;

// The plots every preference run shows, each with the metrics.jsonl keys it draws.
struct PlotSpec {
  const char* title;
  std::vector<const char*> keys;
};

const std::vector<PlotSpec>& standard_plots() {
  static const std::vector<PlotSpec> plots = {
      {"loss", {"loss", "eval_loss"}},
      {"NLL loss", {"nll_loss", "eval_nll_loss"}},
      {"rewards: chosen and rejected",
       {"rewards/chosen", "rewards/rejected", "eval_rewards/chosen", "eval_rewards/rejected"}},
      {"reward margins", {"rewards/margins", "eval_rewards/margins"}},
      {"preference accuracy", {"rewards/accuracies", "eval_rewards/accuracies"}},
      {"learning rate", {"learning_rate"}},
      {"gradient norm (before clipping)", {"grad_norm"}},
      {"training tokens/s", {"tokens_per_second"}},
  };
  return plots;
}

// Keys that are bookkeeping, or logged once at the end (the run's totals), not curves.
bool is_bookkeeping(const std::string& key) {
  return key == "step" || key == "epoch" || key.rfind("train_", 0) == 0 || key == "eval_runtime" ||
         key == "eval_samples_per_second" || key == "eval_steps_per_second";
}

std::vector<Json> read_lines(const fs::path& path) {
  std::vector<Json> lines;
  std::ifstream in(path);
  if (!in) return lines;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      lines.push_back(Json::parse(line));
    } catch (const Json::parse_error& error) {
      throw Error(path.string() + ":" + std::to_string(number) + ": not a JSON line (" +
                  error.what() + ")");
    }
  }
  return lines;
}

std::string read_whole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Each key's finite (step, value) points, in log order.
std::map<std::string, std::vector<std::pair<double, double>>> series_by_key(
    const std::vector<Json>& events) {
  std::map<std::string, std::vector<std::pair<double, double>>> series;
  for (const Json& event : events) {
    if (!event.contains("step") || !event["step"].is_number()) continue;
    const double step = event["step"].get<double>();
    for (const auto& item : event.items()) {
      if (!item.value().is_number() || is_bookkeeping(item.key())) continue;
      const double value = item.value().get<double>();
      if (std::isfinite(value)) series[item.key()].emplace_back(step, value);
    }
  }
  return series;
}

// "train" / "eval" when a plot holds one quantity; else the quantity's last name part, with
// "eval " before evaluation series ("eval_rewards/chosen" -> "eval chosen").
std::string series_label(const std::string& key, std::size_t keys_in_plot) {
  const bool eval = key.rfind("eval_", 0) == 0;
  const std::string base = eval ? key.substr(5) : key;
  if (keys_in_plot == 1) return base;
  if (keys_in_plot == 2) return eval ? "eval" : "train";
  const std::string last = base.substr(base.rfind('/') + 1);
  return eval ? "eval " + last : last;
}

std::string plot_section(const std::vector<Json>& events) {
  auto series = series_by_key(events);
  std::string plots, missing;
  std::set<std::string> drawn;
  auto add_plot = [&](const std::string& title, const std::vector<std::string>& keys) {
    std::vector<PlotSeries> lines;
    std::size_t present = 0;
    for (const auto& key : keys) present += series.count(key);
    for (const auto& key : keys) {
      const auto found = series.find(key);
      drawn.insert(key);
      if (found == series.end()) continue;
      lines.push_back({series_label(key, present), found->second, key.rfind("eval_", 0) == 0});
    }
    if (lines.empty()) {
      missing += (missing.empty() ? "" : ", ") + title;
      return;
    }
    plots += "<figure>" + svg_line_plot(title, lines) + "</figure>\n";
  };
  for (const PlotSpec& spec : standard_plots()) {
    add_plot(spec.title, std::vector<std::string>(spec.keys.begin(), spec.keys.end()));
  }
  std::string more;
  for (const auto& [key, points] : series) {
    if (drawn.count(key)) continue;
    const bool eval = key.rfind("eval_", 0) == 0;
    const std::string base = eval ? key.substr(5) : key;
    std::vector<std::string> keys{base, "eval_" + base};
    add_plot(base, keys);
  }
  std::string html = "<h2>Metrics</h2>\n";
  if (events.empty()) return html + "<p class=\"note\">metrics.jsonl is absent or empty.</p>\n";
  html +=
      "<p class=\"note\">Against optimizer steps; solid lines: training (means over each "
      "logging window), dashed: evaluation.</p>\n<div class=\"plots\">\n" +
      plots + "</div>\n";
  if (!missing.empty()) {
    html += "<p class=\"note\">Not logged in this run: " + html_escape(missing) + ".</p>\n";
  }
  return html;
}

std::string value_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", value.get<double>());
    return text;
  }
  return value.dump();
}

std::string duration_text(double seconds) {
  char text[48];
  const auto total = static_cast<long long>(std::llround(seconds));
  std::snprintf(text, sizeof text, "%lld:%02lld:%02lld (%.1f s)", total / 3600, total / 60 % 60,
                total % 60, seconds);
  return text;
}

std::string facts_section(const Json& info, const std::vector<Json>& events) {
  std::string rows;
  auto row = [&](const std::string& name, const std::string& value) {
    rows += "<tr><th>" + html_escape(name) + "</th><td>" + html_escape(value) + "</td></tr>\n";
  };
  const std::vector<std::pair<const char*, const char*>> fields = {
      {"status", "status"},   {"recipe", "recipe"},         {"command", "command"},
      {"started", "started"}, {"finished", "finished"},     {"host", "host"},
      {"threads", "threads"}, {"wizard", "wizard_version"}, {"LibTorch", "torch_version"}};
  for (const auto& [label, key] : fields) {
    if (info.contains(key)) row(label, value_text(info[key]));
  }
  if (info.contains("seconds")) row("wall time", duration_text(info["seconds"].get<double>()));
  if (info.contains("peak_rss_bytes")) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f GiB",
                  info["peak_rss_bytes"].get<double>() / (1024.0 * 1024.0 * 1024.0));
    row("peak memory (RSS)", text);
  }
  // The trainer's closing event: the run's totals.
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (!it->contains("train_runtime")) continue;
    for (const auto& item : it->items()) {
      if (item.key().rfind("train_", 0) == 0 || item.key() == "step" || item.key() == "epoch") {
        row(item.key() == "step" ? "optimizer steps" : item.key(), value_text(item.value()));
      }
    }
    break;
  }
  std::string html = "<h2>Run</h2>\n<table class=\"facts\">\n" + rows + "</table>\n";
  if (info.contains("summary")) {
    html +=
        "<pre class=\"summary\">" + html_escape(info["summary"].get<std::string>()) + "</pre>\n";
  }
  return html;
}

std::string samples_section(const std::vector<Json>& samples) {
  if (samples.empty()) return "";
  std::map<long long, std::vector<const Json*>> by_step;
  for (const Json& sample : samples) {
    by_step[sample.value("step", 0LL)].push_back(&sample);
  }
  std::string html =
      "<h2>Samples</h2>\n<p class=\"note\">The policy's answers to fixed validation prompts at "
      "each evaluation (generate_during_eval), beside the pair's chosen and rejected "
      "answers.</p>\n";
  std::size_t index = 0;
  for (const auto& [step, rows] : by_step) {
    const bool open = ++index == by_step.size();
    html += std::string("<details") + (open ? " open" : "") + "><summary>step " +
            std::to_string(step) + " (" + std::to_string(rows.size()) +
            " prompts)</summary>\n<table class=\"samples\"><tr><th>prompt</th><th>policy</th>"
            "<th>chosen</th><th>rejected</th></tr>\n";
    for (const Json* sample : rows) {
      html += "<tr>";
      for (const char* key : {"prompt", "policy", "chosen", "rejected"}) {
        html += "<td><pre>" + html_escape(sample->contains(key) ? value_text((*sample)[key]) : "") +
                "</pre></td>";
      }
      html += "</tr>\n";
    }
    html += "</table></details>\n";
  }
  return html;
}

const char* kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 24px auto; padding: 0 16px; max-width: 1500px; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 4px; } h2 { margin-top: 32px; border-bottom: 1px solid #ddd; }
.note { color: #666; font-size: 0.9em; }
.plots { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; border: 1px solid #e4e4e4; border-radius: 4px; background: #fff; }
svg.plot text { font-size: 11px; fill: #333; } svg.plot text.title { font-size: 13px; font-weight: 600; }
svg.plot .frame { fill: #fafafa; stroke: #bbb; } svg.plot .grid { stroke: #e6e6e6; }
table.facts th { text-align: left; padding-right: 16px; font-weight: 600; }
table.facts td, table.facts th { padding: 2px 8px 2px 0; vertical-align: top; }
pre { white-space: pre-wrap; word-break: break-word; margin: 0; }
pre.summary, pre.config { background: #f6f6f6; padding: 10px; border-radius: 4px; }
table.samples { border-collapse: collapse; width: 100%; table-layout: fixed; }
table.samples td, table.samples th { border: 1px solid #ddd; padding: 6px; vertical-align: top; }
table.samples th { background: #f0f0f0; } details { margin: 8px 0; }
)";

}  // namespace

void write_run_info(const fs::path& run_dir, const Json& info) {
  std::ofstream out(run_dir / "run_info.json");
  out << info.dump(2) << "\n";
  if (!out) throw Error("cannot write " + (run_dir / "run_info.json").string());
}

fs::path write_run_report(const fs::path& run_dir) {
  if (!fs::is_directory(run_dir)) {
    throw Error(run_dir.string() + " is not a folder; `wizard report` takes a run's output_dir");
  }
  const std::vector<Json> events = read_lines(run_dir / "metrics.jsonl");
  Json info = Json::object();
  if (fs::exists(run_dir / "run_info.json")) {
    try {
      info = Json::parse(read_whole(run_dir / "run_info.json"));
    } catch (const Json::parse_error& error) {
      throw Error((run_dir / "run_info.json").string() + " is not JSON (" + error.what() + ")");
    }
  }
  const std::vector<Json> samples = read_lines(run_dir / "samples.jsonl");
  const std::string title =
      info.value("run_name", fs::absolute(run_dir).lexically_normal().string());

  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>wizard run: "
       << html_escape(title) << "</title>\n<style>" << kStyle << "</style></head>\n<body>\n"
       << "<h1>wizard run: " << html_escape(title) << "</h1>\n"
       << "<p class=\"note\">" << html_escape(fs::absolute(run_dir).lexically_normal().string())
       << "</p>\n"
       << facts_section(info, events) << plot_section(events) << samples_section(samples);
  if (fs::exists(run_dir / "resolved_config.toml")) {
    html << "<h2>Resolved configuration</h2>\n<pre class=\"config\">"
         << html_escape(read_whole(run_dir / "resolved_config.toml")) << "</pre>\n";
  }
  html << "</body></html>\n";

  const fs::path path = run_dir / "report.html";
  const fs::path partial = run_dir / "report.html.partial";
  {
    std::ofstream out(partial, std::ios::binary);
    out << html.str();
    if (!out) throw Error("cannot write " + partial.string());
  }
  fs::rename(partial, path);
  return path;
}

}  // namespace wizard::core
