#include "run_outputs.hpp"

#include <fstream>
#include <stdexcept>

#include "test_support.hpp"

namespace wizard::test {

namespace fs = std::filesystem;

std::vector<nlohmann::json> read_metrics(const fs::path& output_dir) {
  std::ifstream in(output_dir / "metrics.jsonl");
  if (!in) throw std::runtime_error("no metrics.jsonl in " + output_dir.string());
  std::vector<nlohmann::json> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
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

}  // namespace wizard::test
