// A preference loss: turns the scores of each example's chosen answer and its K negative
// answers into the loss to minimise, the rewards TRL logs and any metrics of its own. It never
// sees the model, so a new loss is a short file (see plugins/losses/, examples/custom_plugin/
// and docs/losses.md); wizard/preference/ offers the shared math as helpers.
#pragma once

#include <ATen/Tensor.h>

#include <string>
#include <utility>
#include <vector>

#include "wizard/plugin/plugin.hpp"

namespace wizard {

// One micro-batch of B examples, each a chosen answer and K negative answers (K >= 1, the
// micro-batch's largest count; an example with fewer has masked entries), as the recipe
// measured them. All on the model's device; sums in the model's compute dtype (float32 or
// bfloat16), token counts float32.
struct PreferenceScores {
  at::Tensor chosen_logps_sum;    // [B] sum of log p(token) over the chosen answer
  at::Tensor chosen_tokens;       // [B] answer tokens in that sum
  at::Tensor negative_logps_sum;  // [B, K]; 0 where the mask is false
  at::Tensor negative_tokens;     // [B, K]; 1 where the mask is false (averages stay finite)
  at::Tensor negative_mask;       // [B, K] bool; every row has at least one true entry
  // TRL's behaviour-cloning term: cross entropy averaged over every chosen answer token of the
  // micro-batch (EOS included). Scalar. Undefined when the loss said it does not use it.
  at::Tensor nll_loss;
  // With a reference model (reference_free = false): the same sums under the frozen reference
  // (no graph). Undefined otherwise.
  at::Tensor reference_chosen_logps_sum;    // [B]
  at::Tensor reference_negative_logps_sum;  // [B, K]
};

struct PreferenceLoss {
  at::Tensor loss;              // scalar to minimise, with its graph, including any NLL term
  at::Tensor losses;            // [B] per-example preference losses L_i
  at::Tensor chosen_logps;      // [B] the score before any reward shaping (sum or average,
                                //     minus the reference's when one is used), detached
  at::Tensor negative_logps;    // [B, K] same for negatives (masked entries 0), detached
  at::Tensor chosen_rewards;    // [B] detached (beta * shaped score)
  at::Tensor negative_rewards;  // [B, K] detached, masked entries 0
  at::Tensor negative_mask;     // [B, K] bool, as given
  at::Tensor nll_loss;          // the NLL term as `loss` used it, detached; undefined if unused
  // Extra scalar metrics the loss logs beside the standard ones (name -> 0-dim tensor).
  std::vector<std::pair<std::string, at::Tensor>> extra_metrics;
};

// What a loss asks of the recipe.
struct LossRequirements {
  bool nll = true;                  // compute PreferenceScores::nll_loss
  bool supports_reference = false;  // accepts reference_* scores (else the recipe refuses
                                    // reference_free = false with this loss, naming both)
};

class WIZARD_API Loss : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::Loss;
  ~Loss() override;

  virtual LossRequirements requirements() const = 0;
  virtual PreferenceLoss compute(const PreferenceScores& scores) const = 0;
};

}  // namespace wizard
