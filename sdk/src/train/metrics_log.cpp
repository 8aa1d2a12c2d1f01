#include "wizard/train/metrics_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
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

MetricsLog::~MetricsLog() {
  if (fd_ >= 0) ::close(fd_);
}

void MetricsLog::restart(const std::vector<LogEvent>& history) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  std::string text;
  for (const auto& event : history) text += log_event_line(event) + "\n";
  if (path_.has_parent_path()) fs::create_directories(path_.parent_path());
  safetensors::detail::write_text_atomically(path_, text);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) {
    throw Error("cannot open " + path_.string() + " for appending (" + std::strerror(errno) +
                "); check that the folder is writable");
  }
}

void MetricsLog::append(const LogEvent& event) {
  if (fd_ < 0) restart({});
  const std::string line = log_event_line(event) + "\n";
  const off_t before = ::lseek(fd_, 0, SEEK_END);
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t written = ::write(fd_, line.data() + done, line.size() - done);
    if (written > 0) {
      done += static_cast<std::size_t>(written);
      continue;
    }
    if (written < 0 && errno == EINTR) continue;
    const int reason = written < 0 ? errno : ENOSPC;
    // Cut a partial line back off, so the file keeps whole lines only.
    if (before >= 0 && ::ftruncate(fd_, before) != 0) {
      // Nothing more to do; the message below says what failed.
    }
    throw Error("cannot write to " + path_.string() + " (" + std::strerror(reason) +
                "): the log event of step " + event.value("step", nlohmann::json()).dump() +
                " was not written; free some space (the file keeps whole lines only)");
  }
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
