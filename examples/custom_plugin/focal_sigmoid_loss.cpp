// FocalSigmoid: the sigmoid preference loss with a focal factor that spends
// less of the gradient on pairs the model already ranks confidently.
//
//   p      = sigmoid(beta * (logp_chosen - logp_rejected))     logp: summed over the completion
//   losses = -(1 - p)^gamma * log p          (gamma = 0 gives CPO's sigmoid loss)
//   loss   = mean(losses) + cpo_alpha * nll  (the behaviour-cloning term, as CPO)
//   reward = beta * logp
//
// Use it in a CPO config: its options sit beside the other training arguments.
//   [training_args_spec]
//   loss_type = "my_losses.FocalSigmoid"
//   beta = 0.1
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
            {"gamma", "float", "2.0", "focusing strength; 0 is the plain sigmoid loss"},
            {"cpo_alpha", "float", "1.0", "weight of the NLL (behaviour cloning) term"}};
  }

  FocalSigmoidLoss(const wizard::Config& config, wizard::PluginHost&)
      : beta_(config.get<double>("beta", 0.1)),
        gamma_(config.get<double>("gamma", 2.0)),
        cpo_alpha_(config.get<double>("cpo_alpha", 1.0)) {
    if (gamma_ < 0) config.fail("gamma", "must be 0 or more");
  }

  wizard::PreferenceLoss compute(const wizard::PreferenceLogps& logps) const override {
    const at::Tensor& chosen = logps.chosen_logps_sum;
    const at::Tensor& rejected = logps.rejected_logps_sum;
    const at::Tensor log_p = at::log_sigmoid(beta_ * (chosen - rejected));
    const at::Tensor losses = -at::pow(1 - at::exp(log_p), gamma_) * log_p;
    wizard::PreferenceLoss out;
    out.losses = losses;
    out.loss = cpo_alpha_ == 0 ? losses.mean() : losses.mean() + cpo_alpha_ * logps.nll_loss;
    out.chosen_logps = chosen.detach();
    out.rejected_logps = rejected.detach();
    out.chosen_rewards = (beta_ * chosen).detach();
    out.rejected_rewards = (beta_ * rejected).detach();
    if (cpo_alpha_ != 0) out.nll_loss = logps.nll_loss.detach();
    return out;
  }

 private:
  double beta_;
  double gamma_;
  double cpo_alpha_;
};

}  // namespace

WIZARD_PLUGIN_LIBRARY("my_losses", "1.0.0")
WIZARD_EXPORT_LOSS(FocalSigmoidLoss, FocalSigmoid)
