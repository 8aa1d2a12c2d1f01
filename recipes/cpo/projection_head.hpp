// The contrastive term's projection head (projection_dim): a two-layer MLP
//   z = W2 relu(W1 h + b1) + b2,   W1 [H, H], W2 [P, H]
// from the pooled hidden state h to a P-dimensional embedding, trained with the model.
// float32 whatever the model's dtype (the pooled states are float32). Initialised as
// torch.nn.Linear does (uniform in +-1/sqrt(fan_in)), from the run's seed.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "wizard/model/safetensors.hpp"
#include "wizard/train/adamw.hpp"

namespace wizard::cpo {

class ProjectionHead {
 public:
  ProjectionHead() = default;
  ProjectionHead(int64_t hidden, int64_t out_dim, std::uint64_t seed, at::Device device);

  bool defined() const { return fc1_weight_.defined(); }
  // x [N, H] float32 -> [N, P].
  at::Tensor forward(const at::Tensor& x) const;

  // The parameters under `prefix` ("contrastive_head." for the trained head): fc1.weight,
  // fc1.bias, fc2.weight, fc2.bias.
  train::NamedParameters named_parameters(const std::string& prefix) const;
  // A copy without gradients (the momentum head starts as the head).
  ProjectionHead detached_copy() const;
  // Copies the tensors named `prefix`... from `file` into this head (shapes checked).
  void load(const safetensors::File& file, const std::string& prefix);

 private:
  at::Tensor fc1_weight_, fc1_bias_, fc2_weight_, fc2_bias_;
};

}  // namespace wizard::cpo
