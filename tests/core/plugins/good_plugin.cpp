// A well-formed test plugin library: a loss and a datasource with documented options.
#include <ATen/ATen.h>

#include "wizard/plugin/datasource.hpp"
#include "wizard/plugin/export.hpp"
#include "wizard/plugin/loss.hpp"

namespace {

// losses = -log sigmoid(scale * (chosen - negative)) of each example's first negative,
// rewards = scale * logps.
class ScaledSigmoidLoss : public wizard::Loss {
 public:
  static constexpr const char* kSummary = "test loss: -log sigmoid(scale * margin)";
  static wizard::OptionDocs options() {
    return {{"scale", "float", "1.0", "multiplies the log-prob margin"}};
  }
  ScaledSigmoidLoss(const wizard::Config& config, wizard::PluginHost&)
      : scale_(config.get<double>("scale", 1.0)) {}

  wizard::LossRequirements requirements() const override {
    return {/*nll=*/false, /*supports_reference=*/false};
  }
  wizard::PreferenceLoss compute(const wizard::PreferenceScores& scores) const override {
    const at::Tensor chosen = scale_ * scores.chosen_logps_sum;
    const at::Tensor negatives = scale_ * scores.negative_logps_sum;
    const at::Tensor losses = -at::log_sigmoid(chosen - negatives.select(1, 0));
    wizard::PreferenceLoss out;
    out.loss = losses.mean();
    out.losses = losses;
    out.chosen_logps = scores.chosen_logps_sum.detach();
    out.negative_logps = scores.negative_logps_sum.detach();
    out.chosen_rewards = chosen.detach();
    out.negative_rewards = negatives.detach();
    out.negative_mask = scores.negative_mask;
    return out;
  }

 private:
  double scale_;
};

// Rows {"n": 0}, {"n": 1}, ... as many as `count`.
class CountingDataSource : public wizard::DataSource {
 public:
  static constexpr const char* kSummary = "test datasource: rows n = 0 .. count-1";
  static wizard::OptionDocs options() {
    return {{"count", "int", "3", "how many rows"},
            {"labels.prefix", "string", "row", "prefix of each row's label"}};
  }
  CountingDataSource(const wizard::Config& config, wizard::PluginHost&)
      : count_(config.get<int>("count", 3)),
        prefix_(config.table("labels").get<std::string>("prefix", "row")) {}

  wizard::Dataset load() override {
    wizard::Dataset rows;
    for (int i = 0; i < count_; ++i) {
      rows.append({{"n", i}, {"label", prefix_ + std::to_string(i)}}, {"<counting>", i + 1});
    }
    return rows;
  }
  std::string describe() const override { return "counting: " + std::to_string(count_) + " rows"; }

 private:
  int count_;
  std::string prefix_;
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_LOSS(ScaledSigmoidLoss, ScaledSigmoid)
WIZARD_EXPORT_DATASOURCE(CountingDataSource, counting)
