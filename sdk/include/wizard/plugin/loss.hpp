// A preference loss: turns per-sequence log-probabilities into the loss to
// minimise and the rewards TRL logs. It never sees the model, so a new loss is
// a few lines (see plugins/losses/ and examples/custom_plugin/).
#pragma once

#include <ATen/Tensor.h>

#include "wizard/plugin/plugin.hpp"

namespace wizard {

// One micro-batch of B preference pairs, as the recipe measured it.
struct PreferenceLogps {
  at::Tensor chosen_logps_sum;    // [B] sum of log p(token) over the chosen completion
  at::Tensor rejected_logps_sum;  // [B] same for the rejected completion
  at::Tensor chosen_tokens;       // [B] completion tokens counted in the sums (float)
  at::Tensor rejected_tokens;     // [B]
  // The behaviour-cloning term as TRL computes it: cross entropy averaged over
  // every chosen completion token of the micro-batch (EOS included). Scalar.
  at::Tensor nll_loss;
};

struct PreferenceLoss {
  at::Tensor loss;              // scalar to minimise, including any NLL term
  at::Tensor losses;            // [B] the per-pair preference losses
  at::Tensor chosen_logps;      // [B] the log-probs the loss used (sums or averages), detached
  at::Tensor rejected_logps;    // [B]
  at::Tensor chosen_rewards;    // [B] detached
  at::Tensor rejected_rewards;  // [B] detached
  // The NLL term as `loss` used it, detached; undefined when the loss does not
  // use it (TRL then logs nll_loss = 0, as with cpo_alpha = 0).
  at::Tensor nll_loss;
};

class WIZARD_API Loss : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::Loss;
  ~Loss() override;

  virtual PreferenceLoss compute(const PreferenceLogps& logps) const = 0;
};

}  // namespace wizard
