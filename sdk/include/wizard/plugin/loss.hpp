// A preference loss: turns per-sequence log-probabilities into per-pair losses
// and rewards. It never sees the model, so a new loss is a few lines.
#pragma once

#include <ATen/Tensor.h>

#include "wizard/plugin/plugin.hpp"

namespace wizard {

// Per pair of the micro-batch, shape [B] each.
struct PreferenceLogps {
  at::Tensor chosen_logps;     // sum of log p over the chosen completion tokens
  at::Tensor rejected_logps;   // same for the rejected completion
  at::Tensor chosen_tokens;    // number of chosen completion tokens
  at::Tensor rejected_tokens;  // number of rejected completion tokens
};

struct PreferenceLoss {
  at::Tensor losses;            // [B], averaged by the trainer
  at::Tensor chosen_rewards;    // [B], detached
  at::Tensor rejected_rewards;  // [B], detached
};

class WIZARD_API Loss : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::Loss;
  ~Loss() override;

  virtual PreferenceLoss compute(const PreferenceLogps& logps) const = 0;
};

}  // namespace wizard
