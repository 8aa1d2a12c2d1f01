// FocalSigmoid: the sigmoid preference loss with a focal factor that spends
// less of the gradient on pairs the model already ranks confidently.
//
//   p      = sigmoid(beta * (logp_chosen - logp_rejected))
//   loss   = -(1 - p)^gamma * log p          (gamma = 0 gives CPO's sigmoid loss)
//   reward = beta * logp
//
// Use it in a CPO config with:
//   [training_args_spec.loss]
//   spec_class = "my_losses.FocalSigmoid"
//   gamma = 2.0
#include <ATen/ATen.h>

#include "wizard/plugin/export.hpp"
#include "wizard/plugin/loss.hpp"

namespace {

class FocalSigmoidLoss : public wizard::Loss {
 public:
  static constexpr const char* kSummary = "sigmoid preference loss with a focal factor (1-p)^gamma";

  static wizard::OptionDocs options() {
    return {{"beta", "float", "0.1", "scale of the log-prob margin, as CPO's beta"},
            {"gamma", "float", "2.0", "focusing strength; 0 is the plain sigmoid loss"}};
  }

  FocalSigmoidLoss(const wizard::Config& config, wizard::PluginHost&)
      : beta_(config.get<double>("beta", 0.1)), gamma_(config.get<double>("gamma", 2.0)) {
    if (gamma_ < 0) config.fail("gamma", "must be 0 or more");
  }

  wizard::PreferenceLoss compute(const wizard::PreferenceLogps& logps) const override {
    const at::Tensor margin = beta_ * (logps.chosen_logps - logps.rejected_logps);
    const at::Tensor log_p = at::log_sigmoid(margin);
    const at::Tensor focal = at::pow(1 - at::exp(log_p), gamma_);
    return {-focal * log_p, (beta_ * logps.chosen_logps).detach(),
            (beta_ * logps.rejected_logps).detach()};
  }

 private:
  double beta_;
  double gamma_;
};

}  // namespace

WIZARD_PLUGIN_LIBRARY("my_losses", "1.0.0")
WIZARD_EXPORT_LOSS(FocalSigmoidLoss, FocalSigmoid)
