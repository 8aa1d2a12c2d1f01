// One pre-norm decoder layer: x + attention(norm(x)), then h + mlp(norm(h)).
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <optional>

#include "attention_plan.hpp"
#include "rope.hpp"
#include "wizard/model/config.hpp"
#include "wizard/model/weights.hpp"

namespace wizard::model {

// What every layer of one forward pass shares: the rotary tables and the attention plan.
struct ForwardContext {
  std::shared_ptr<const ModelConfig> config;
  RotaryTables rope;
  std::shared_ptr<const AttentionPlan> plan;
};

at::Tensor decoder_layer(const DecoderLayerWeights& weights, const at::Tensor& hidden,
                         const ForwardContext& context, int64_t layer_index);

}  // namespace wizard::model
