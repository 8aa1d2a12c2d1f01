#include "preference_test_support.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "config_files.hpp"
#include "test_device.hpp"
#include "test_support.hpp"

namespace wizard::test {

core::PluginRegistry& loss_registry() {
  static core::PluginRegistry registry({plugin_dir()});
  return registry;
}

Config toml_table(const std::string& toml) {
  return Config(core::read_toml(toml, "loss.toml"));
}

std::shared_ptr<Loss> create_loss(const std::string& name, const std::string& toml) {
  return loss_registry().create<Loss>(name, toml_table(toml));
}

std::shared_ptr<Loss> create_loss(const std::string& name, const std::string& toml,
                                  const std::string& defaults_toml) {
  return loss_registry().create<Loss>(
      name, toml_table(toml).with_defaults(core::read_toml(defaults_toml, "schema defaults")));
}

at::ScalarType dtype_named(const std::string& name) {
  if (name == "float32") return at::kFloat;
  if (name == "bfloat16") return at::kBFloat16;
  if (name == "float64") return at::kDouble;
  if (name == "float16") return at::kHalf;
  throw std::runtime_error("fixture names an unknown dtype '" + name + "'");
}

at::Tensor doubles_on_device(const std::vector<double>& values) {
  return at::tensor(values, at::kDouble).to(test_device());
}

namespace {

std::vector<double> or_ones(std::initializer_list<double> values, std::size_t size) {
  std::vector<double> data(values);
  if (data.empty()) data.assign(size, 1.0);
  return data;
}

}  // namespace

PreferenceScores pair_scores(std::initializer_list<double> chosen_sum,
                             std::initializer_list<double> rejected_sum,
                             std::initializer_list<double> chosen_tokens,
                             std::initializer_list<double> rejected_tokens, double nll_loss) {
  std::vector<std::vector<double>> negatives;
  for (double value : rejected_sum) negatives.push_back({value});
  std::vector<std::vector<double>> negative_tokens;
  for (double value : or_ones(rejected_tokens, rejected_sum.size())) {
    negative_tokens.push_back({value});
  }
  return multi_scores(chosen_sum, negatives, or_ones(chosen_tokens, chosen_sum.size()),
                      negative_tokens, nll_loss);
}

PreferenceScores multi_scores(const std::vector<double>& chosen_sum,
                              const std::vector<std::vector<double>>& negatives,
                              const std::vector<double>& chosen_tokens,
                              const std::vector<std::vector<double>>& negative_tokens,
                              double nll_loss) {
  std::size_t k = 0;
  for (const auto& row : negatives) k = std::max(k, row.size());
  std::vector<double> sums;
  std::vector<double> tokens;
  std::vector<double> mask;
  for (std::size_t i = 0; i < negatives.size(); ++i) {
    for (std::size_t j = 0; j < k; ++j) {
      const bool valid = j < negatives[i].size();
      sums.push_back(valid ? negatives[i][j] : 0.0);
      tokens.push_back(valid && !negative_tokens.empty() ? negative_tokens[i][j] : 1.0);
      mask.push_back(valid ? 1.0 : 0.0);
    }
  }
  const auto b = static_cast<int64_t>(negatives.size());
  const auto shape = std::vector<int64_t>{b, static_cast<int64_t>(k)};
  PreferenceScores scores;
  scores.chosen_logps_sum = doubles_on_device(chosen_sum);
  scores.chosen_tokens = doubles_on_device(
      chosen_tokens.empty() ? std::vector<double>(chosen_sum.size(), 1.0) : chosen_tokens);
  scores.negative_logps_sum = doubles_on_device(sums).reshape(shape);
  scores.negative_tokens = doubles_on_device(tokens).reshape(shape);
  scores.negative_mask = doubles_on_device(mask).reshape(shape).to(at::kBool);
  scores.nll_loss = doubles_on_device({nll_loss}).reshape({});
  return scores;
}

double value_at(const at::Tensor& tensor, int64_t i) {
  return tensor[i].item<double>();
}

double value_at(const at::Tensor& tensor, int64_t i, int64_t k) {
  return tensor[i][k].item<double>();
}

}  // namespace wizard::test
