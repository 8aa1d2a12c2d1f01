// FocalSigmoid: a preference loss with rules of its own, built outside wizard against its
// installed SDK. It scores answers by a length rule no built-in loss has (between the sum and
// the mean of the token log-probs), spends less of the gradient on pairs the model already
// ranks confidently (a focal factor), and logs a metric of its own. Per example, a chosen
// answer and K_i negatives k:
//
//   s       = log p(answer | prompt) / tokens^length_power   (0: the sum, 1: the mean)
//   p_k     = sigmoid(beta * (s+ - s-_k))
//   L       = mean_k -(1 - p_k)^gamma log p_k                (gamma = 0: CPO's sigmoid loss)
//   loss    = mean(L) + cpo_alpha * nll                      (the behaviour-cloning term, as CPO)
//   rewards = beta * s
//   focal/weight = the mean of (1 - p_k)^gamma over valid pairs (logged beside TRL's metrics)
//
// Use it in a CPO config: its options sit beside the other training arguments.
//   [training_args_spec]
//   loss_type = "my_losses.FocalSigmoid"
//   beta = 0.1
//   gamma = 2.0
//   length_power = 0.5
#include <ATen/ATen.h>

#include "wizard/plugin/export.hpp"
#include "wizard/plugin/loss.hpp"
#include "wizard/preference/loss_assembly.hpp"
#include "wizard/preference/loss_options.hpp"
#include "wizard/preference/multi_negative.hpp"

namespace {

namespace pref = wizard::preference;

class FocalSigmoidLoss : public wizard::Loss {
 public:
  static constexpr const char* kSummary =
      "sigmoid preference loss with a focal factor (1-p)^gamma on length-normalised scores";

  static wizard::OptionDocs options() {
    return {{"beta", "float", "0.1", "scale of the score differences, as CPO's beta"},
            {"gamma", "float", "2.0", "focusing strength; 0 is the plain sigmoid loss"},
            {"length_power", "float", "0.5",
             "scores divide the log-prob sum by tokens^length_power (0 sum, 1 mean)"},
            {"cpo_alpha", "float", "1.0", "weight of the NLL (behaviour cloning) term"}};
  }

  FocalSigmoidLoss(const wizard::Config& config, wizard::PluginHost&)
      : beta_(pref::read_positive(config, "beta", 0.1, "the scale of the score differences")),
        gamma_(pref::read_non_negative(config, "gamma", 2.0, "the focusing strength")),
        length_power_(pref::read_finite(config, "length_power", 0.5, "0 sums, 1 averages")),
        cpo_alpha_(pref::read_non_negative(config, "cpo_alpha", 1.0, "the NLL weight")) {}

  // No reference model: the recipe refuses reference_free = false with this loss.
  wizard::LossRequirements requirements() const override {
    return {/*nll=*/cpo_alpha_ != 0, /*supports_reference=*/false};
  }

  wizard::PreferenceLoss compute(const wizard::PreferenceScores& in) const override {
    pref::check_preference_scores(in);
    pref::AnswerScores scores;
    scores.mask = in.negative_mask;
    scores.chosen = in.chosen_logps_sum / in.chosen_tokens.pow(length_power_);
    scores.negatives = (in.negative_logps_sum / in.negative_tokens.pow(length_power_))
                           .masked_fill(scores.mask.logical_not(), 0);
    const at::Tensor log_p = at::log_sigmoid(pref::pairwise_logits(scores, beta_, 0.0));
    const at::Tensor focal = at::pow(1 - at::exp(log_p), gamma_);
    const at::Tensor losses = pref::mean_over_negatives(-focal * log_p, scores.mask);
    wizard::PreferenceLoss out = pref::assemble_preference_loss(
        scores, scores, losses, beta_, {/*preference_weight=*/1.0, cpo_alpha_}, in.nll_loss);
    const at::Tensor valid_focal = focal.detach().masked_fill(scores.mask.logical_not(), 0);
    out.extra_metrics.emplace_back("focal/weight", valid_focal.sum() / scores.mask.sum());
    return out;
  }

 private:
  double beta_;
  double gamma_;
  double length_power_;
  double cpo_alpha_;
};

}  // namespace

WIZARD_PLUGIN_LIBRARY("my_losses", "1.0.0")
WIZARD_EXPORT_LOSS(FocalSigmoidLoss, FocalSigmoid)
