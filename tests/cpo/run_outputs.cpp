#include "run_outputs.hpp"

#include <fstream>
#include <stdexcept>

#include "test_support.hpp"

namespace wizard::test {

namespace fs = std::filesystem;

std::vector<nlohmann::json> read_jsonl(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  std::vector<nlohmann::json> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

std::vector<nlohmann::json> read_metrics(const fs::path& output_dir) {
  return read_jsonl(output_dir / "metrics.jsonl");
}

std::vector<double> metric_series(const std::vector<nlohmann::json>& lines,
                                  const std::string& name) {
  std::vector<double> values;
  for (const auto& line : lines) {
    if (line.contains(name)) values.push_back(line[name].get<double>());
  }
  return values;
}

fs::path tiny_model() {
  static const fs::path folder = [] {
    const fs::path dir = temp_dir("cpo-tiny-model") / "model";
    const RunResult r = run_wizard(
        "init-model '" + dir.string() + "' --hidden_size 64 --num_hidden_layers 2 --seed 3",
        fs::current_path());
    if (r.exit_code != 0) throw std::runtime_error("init-model failed:\n" + r.output);
    return dir;
  }();
  return folder;
}

namespace {

// `key = value` unless `extra` sets the key itself.
std::string default_unless_set(const std::string& extra, const std::string& key,
                               const std::string& value) {
  return extra.find(key + " =") == std::string::npos ? key + " = " + value + "\n" : "";
}

}  // namespace

std::vector<double> losses_after(const std::vector<nlohmann::json>& lines, int step) {
  std::vector<double> out;
  for (const auto& line : lines) {
    if (line.contains("loss") && line["step"].get<int>() > step) out.push_back(line["loss"]);
  }
  return out;
}

fs::path synthetic_config(const std::string& name, const std::string& extra, int rows) {
  const fs::path dir = temp_dir(name);
  std::ofstream(dir / "config.toml")
      << "spec_class = \"cpo\"\nvalidation = 24\n"
         "[transformer_spec]\npretrained_name = \""
      << tiny_model().string() << "\"\n[dataset_spec]\nspec_class = \"synthetic\"\nrows = " << rows
      << "\nword_length = [3, 5]\n"
         "[training_args_spec]\noutput_dir = \"out\"\nbf16 = false\n"
         "per_device_train_batch_size = 8\nper_device_eval_batch_size = 24\n"
         "learning_rate = 5e-3\nlogging_steps = 1\n"
      << default_unless_set(extra, "save_strategy", "\"no\"")
      << default_unless_set(extra, "eval_strategy", "\"no\"") << extra;
  return dir;
}

}  // namespace wizard::test
