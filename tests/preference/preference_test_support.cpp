#include "preference_test_support.hpp"

#include <stdexcept>
#include <vector>

#include "config_files.hpp"
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

at::ScalarType dtype_named(const std::string& name) {
  if (name == "float32") return at::kFloat;
  if (name == "bfloat16") return at::kBFloat16;
  if (name == "float64") return at::kDouble;
  if (name == "float16") return at::kHalf;
  throw std::runtime_error("fixture names an unknown dtype '" + name + "'");
}

namespace {

at::Tensor doubles(std::initializer_list<double> values, std::size_t size) {
  std::vector<double> data(values);
  if (data.empty()) data.assign(size, 1.0);
  return at::tensor(data, at::kDouble);
}

}  // namespace

PreferenceLogps pair_logps(std::initializer_list<double> chosen_sum,
                           std::initializer_list<double> rejected_sum,
                           std::initializer_list<double> chosen_tokens,
                           std::initializer_list<double> rejected_tokens, double nll_loss) {
  PreferenceLogps logps;
  logps.chosen_logps_sum = doubles(chosen_sum, 0);
  logps.rejected_logps_sum = doubles(rejected_sum, 0);
  logps.chosen_tokens = doubles(chosen_tokens, chosen_sum.size());
  logps.rejected_tokens = doubles(rejected_tokens, rejected_sum.size());
  logps.nll_loss = at::tensor(nll_loss, at::kDouble);
  return logps;
}

}  // namespace wizard::test
