#include "wizard/train/metrics_log.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "model/safetensors_files.hpp"
#include "wizard/base/error.hpp"

namespace wizard::train {

namespace fs = std::filesystem;

namespace {

// The keys of an event: step and epoch first, the rest in name order.
std::vector<std::string> ordered_keys(const LogEvent& event) {
  std::vector<std::string> keys;
  for (const char* key : {"step", "epoch"}) {
    if (event.contains(key)) keys.push_back(key);
  }
  for (const auto& item : event.items()) {
    if (item.key() != "step" && item.key() != "epoch") keys.push_back(item.key());
  }
  return keys;
}

}  // namespace

std::string log_event_line(const LogEvent& event) {
  std::string line = "{";
  for (const std::string& key : ordered_keys(event)) {
    if (line.size() > 1) line += ",";
    line += nlohmann::json(key).dump() + ":" + event.at(key).dump();
  }
  return line + "}";
}

MetricsLog::MetricsLog(fs::path file) : path_(std::move(file)) {}

void MetricsLog::restart(const std::vector<LogEvent>& history) {
  if (out_.is_open()) out_.close();
  std::string text;
  for (const auto& event : history) text += log_event_line(event) + "\n";
  if (path_.has_parent_path()) fs::create_directories(path_.parent_path());
  safetensors::detail::write_text_atomically(path_, text);
  out_.open(path_, std::ios::app);
  if (!out_)
    throw Error("cannot open " + path_.string() +
                " for appending; check that the folder is writable");
}

void MetricsLog::append(const LogEvent& event) {
  if (!out_.is_open()) restart({});
  out_ << log_event_line(event) << '\n';
  out_.flush();
  if (!out_) throw Error("cannot write to " + path_.string() + " (disk full?)");
}

std::string describe_log_event(const LogEvent& event) {
  std::ostringstream out;
  bool first = true;
  for (const std::string& key : ordered_keys(event)) {
    const LogEvent& value = event.at(key);
    out << (first ? "" : " | ") << key << ' ';
    first = false;
    if (value.is_number_float()) {
      const double number = value.get<double>();
      char text[32];
      // Epochs read best with 2 decimals; other values with 4 significant digits.
      std::snprintf(text, sizeof(text), key == "epoch" ? "%.2f" : "%.4g", number);
      out << text;
    } else if (value.is_string()) {
      out << value.get<std::string>();
    } else {
      out << value.dump();
    }
  }
  return out.str();
}

}  // namespace wizard::train
