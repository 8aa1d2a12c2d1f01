// An MLflow run in a file store, written as mlflow's FileStore writes one (its meta.yaml
// fields, one file per param, metric and tag), so that MlflowClient and `mlflow ui` read it.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/train/metrics_sinks.hpp"

namespace wizard::train {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxParamLength = 6000;  // mlflow's MAX_PARAM_VAL_LENGTH

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A YAML single-quoted scalar. (Not named `quoted`: for a non-const std::string, argument-
// dependent lookup would prefer std::quoted's overload, which writes double quotes.)
std::string yaml_quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw Error("cannot write " + path.string());
}

// The value of `key: value` in a meta.yaml written by mlflow or by wizard.
std::string yaml_value(const fs::path& file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ": ", 0) != 0) continue;
    std::string value = line.substr(key.size() + 2);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
      std::string unquoted;
      for (std::size_t i = 1; i + 1 < value.size(); ++i) {
        unquoted += value[i];
        if (value[i] == '\'' && value[i + 1] == '\'') ++i;
      }
      return unquoted;
    }
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      return value.substr(1, value.size() - 2);
    }
    return value;
  }
  return "";
}

std::string file_uri(const fs::path& path) {
  return "file://" + fs::absolute(path).lexically_normal().string();
}

void write_experiment(const fs::path& store, const std::string& id, const std::string& name) {
  const int64_t ms = now_ms();
  std::ostringstream meta;
  meta << "artifact_location: " << file_uri(store / id) << "\n"
       << "creation_time: " << ms << "\n"
       << "experiment_id: " << yaml_quoted(id) << "\n"
       << "last_update_time: " << ms << "\n"
       << "lifecycle_stage: active\n"
       << "name: " << yaml_quoted(name) << "\n";
  write_file(store / id / "meta.yaml", meta.str());
}

// The id of the experiment called `name`, created when the store has none.
std::string find_or_create_experiment(const fs::path& store, const std::string& name) {
  if (!fs::exists(store / "0" / "meta.yaml")) write_experiment(store, "0", "Default");
  for (const auto& entry : fs::directory_iterator(store)) {
    const fs::path meta = entry.path() / "meta.yaml";
    if (entry.is_directory() && fs::exists(meta) && yaml_value(meta, "name") == name &&
        yaml_value(meta, "lifecycle_stage") != "deleted") {
      return entry.path().filename().string();
    }
  }
  // mlflow's _generate_unique_integer_id: a large random integer.
  std::random_device device;
  std::mt19937_64 random(device());
  std::string id;
  do {
    id = std::to_string(random() % 900000000000000000ULL + 100000000000000000ULL);
  } while (fs::exists(store / id));
  write_experiment(store, id, name);
  return id;
}

std::string random_run_id() {
  std::random_device device;
  std::mt19937_64 random(device());
  std::string id;
  const char* hex = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) id += hex[random() % 16];
  return id;
}

std::string user_name() {
  const char* user = std::getenv("USER");
  return user ? user : "wizard";
}

// How mlflow stores a param value: Python's str() of it.
std::string param_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "True" : "False";
  if (value.is_null()) return "None";
  return value.dump();
}

void flatten(const nlohmann::json& value, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& out) {
  if (value.is_object() && !value.empty()) {
    for (const auto& item : value.items()) {
      flatten(item.value(), prefix.empty() ? item.key() : prefix + "." + item.key(), out);
    }
  } else {
    out.emplace_back(prefix, param_text(value));
  }
}

}  // namespace

MlflowRun::MlflowRun(const fs::path& store, const std::string& experiment,
                     const std::string& run_name)
    : store_(store), run_name_(run_name), start_ms_(now_ms()) {
  fs::create_directories(store_);
  experiment_id_ = find_or_create_experiment(store_, experiment);
  run_id_ = random_run_id();
  run_dir_ = store_ / experiment_id_ / run_id_;
  for (const char* folder : {"params", "metrics", "tags", "artifacts"}) {
    fs::create_directories(run_dir_ / folder);
  }
  write_meta("1", "null");  // RUNNING
  set_tag("mlflow.runName", run_name_);
  set_tag("mlflow.user", user_name());
  set_tag("mlflow.source.name", "wizard");
  set_tag("mlflow.source.type", "LOCAL");
}

MlflowRun::~MlflowRun() {
  if (ended_) return;
  try {
    end(false);
  } catch (const std::exception& error) {
    logger()->warn("MLflow run {}: could not record its end: {}", run_id_, error.what());
  }
}

void MlflowRun::write_meta(const std::string& status, const std::string& end_time) {
  std::ostringstream meta;
  meta << "artifact_uri: " << file_uri(run_dir_ / "artifacts") << "\n"
       << "end_time: " << end_time << "\n"
       << "entry_point_name: ''\n"
       << "experiment_id: " << yaml_quoted(experiment_id_) << "\n"
       << "lifecycle_stage: active\n"
       << "run_id: " << run_id_ << "\n"
       << "run_name: " << yaml_quoted(run_name_) << "\n"
       << "run_uuid: " << run_id_ << "\n"
       << "source_name: ''\n"
       << "source_type: 4\n"
       << "source_version: ''\n"
       << "start_time: " << start_ms_ << "\n"
       << "status: " << status << "\n"
       << "tags: []\n"
       << "user_id: " << yaml_quoted(user_name()) << "\n";
  write_file(run_dir_ / "meta.yaml", meta.str());
}

void MlflowRun::log_params(const nlohmann::json& params) {
  std::vector<std::pair<std::string, std::string>> flat;
  flatten(params, "", flat);
  for (const auto& [name, value] : flat) {
    if (value.size() > kMaxParamLength) {
      logger()->warn("MLflow: param {} is longer than {} characters; not logged", name,
                     kMaxParamLength);
      continue;
    }
    write_file(run_dir_ / "params" / name, value);
  }
}

void MlflowRun::log_metric(const std::string& name, double value, int64_t step,
                           int64_t timestamp_ms) {
  const fs::path path = run_dir_ / "metrics" / name;
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::app);
  std::ostringstream line;
  line.precision(17);
  line << timestamp_ms << " " << value << " " << step << "\n";
  out << line.str();
  if (!out) throw Error("cannot write " + path.string());
}

void MlflowRun::set_tag(const std::string& name, const std::string& value) {
  write_file(run_dir_ / "tags" / name, value);
}

void MlflowRun::end(bool success) {
  ended_ = true;
  write_meta(success ? "3" : "4", std::to_string(now_ms()));  // FINISHED / FAILED
}

}  // namespace wizard::train
