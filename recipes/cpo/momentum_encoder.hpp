// use_momentum: the contrastive term's keys come from a momentum encoder, an exponential
// moving average of the trainable parameters that produce them (MoCo), without gradients:
//
//   theta_ema <- beta * theta_ema + (1 - beta) * theta      after every optimizer step
//
// Scopes (momentum_scope):
//  - "model": an EMA copy of the whole policy (and of the projection head, if any); each step
//    runs one more forward pass, without gradients, through the copy for the keys. Memory: one
//    more copy of the weights in the model's dtype, plus float32 averages when that dtype is
//    not float32 (a bfloat16 copy cannot hold updates of (1 - beta) = 1e-4 of a weight), i.e.
//    6 bytes per parameter for a bfloat16 model, 4 for a float32 one.
//  - "projection_head": only the projection head is averaged; the keys are the EMA head applied
//    to the live model's pooled states, detached. Costs the head's size and no forward pass;
//    the keys then follow the model at once (only the head lags behind), so the queue's keys
//    are less consistent with each other than with the full momentum encoder.
// The averages (float32) are saved with each checkpoint and restored exactly.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "projection_head.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/model/safetensors.hpp"
#include "wizard/train/adamw.hpp"

namespace wizard::cpo {

// theta_ema <- beta * theta_ema + (1 - beta) * theta, for each pair (float32 averages).
void ema_update(const std::vector<at::Tensor>& averages, const std::vector<at::Tensor>& live,
                double beta);

class MomentumEncoder {
 public:
  // `copy`: the EMA copy of `live`, the policy (model scope; both null for projection_head
  // scope), loaded like the policy; it starts equal to `live`. `live_head` may be undefined
  // (no projection head).
  MomentumEncoder(double beta, const model::CausalLM* live, std::unique_ptr<model::CausalLM> copy,
                  const ProjectionHead& live_head);

  // After an optimizer step.
  void update();

  const model::CausalLM* model() const { return copy_.get(); }  // null: projection_head scope
  const ProjectionHead& head() const { return head_; }

  // "<prefix>model.<name>" and "<prefix>head.<name>", float32.
  safetensors::NamedTensors state_tensors(const std::string& prefix) const;
  void load(const safetensors::File& file, const std::string& prefix);

 private:
  // The averaged tensors with their names, the live tensors they follow, and (when the copy's
  // dtype is not float32) the copy's parameters that receive each average.
  struct Tracked {
    std::string name;
    at::Tensor average;
    at::Tensor live;
    at::Tensor target;  // undefined: `average` is the copy's parameter itself
  };
  void publish();

  double beta_;
  std::unique_ptr<model::CausalLM> copy_;
  ProjectionHead head_;
  std::vector<Tracked> tracked_;
};

}  // namespace wizard::cpo
