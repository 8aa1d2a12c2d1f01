// A well-formed test plugin library: a loss and a datasource with documented options.
#include <ATen/ATen.h>

#include "wizard/plugin/datasource.hpp"
#include "wizard/plugin/export.hpp"
#include "wizard/plugin/loss.hpp"

namespace {

// losses = -log sigmoid(scale * (chosen - rejected)), rewards = scale * logps.
class ScaledSigmoidLoss : public wizard::Loss {
 public:
  static constexpr const char* kSummary = "test loss: -log sigmoid(scale * margin)";
  static wizard::OptionDocs options() {
    return {{"scale", "float", "1.0", "multiplies the log-prob margin"}};
  }
  ScaledSigmoidLoss(const wizard::Config& config, wizard::PluginHost&)
      : scale_(config.get<double>("scale", 1.0)) {}

  wizard::PreferenceLoss compute(const wizard::PreferenceLogps& logps) const override {
    const at::Tensor chosen = scale_ * logps.chosen_logps_sum;
    const at::Tensor rejected = scale_ * logps.rejected_logps_sum;
    const at::Tensor losses = -at::log_sigmoid(chosen - rejected);
    return {losses.mean(),
            losses,
            logps.chosen_logps_sum.detach(),
            logps.rejected_logps_sum.detach(),
            chosen.detach(),
            rejected.detach(),
            at::Tensor()};  // no NLL term
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
