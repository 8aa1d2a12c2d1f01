// Gradient checkpointing per decoder layer: the forward pass keeps only the layer's input;
// the backward pass runs the layer again with autograd on and differentiates that.
// Memory per layer drops from every intermediate activation to one [R, T, hidden] tensor,
// for one more forward computation of each layer.
#pragma once

#include <ATen/ATen.h>

#include <memory>

#include "decoder_layer.hpp"

namespace wizard::model {

// Same value and gradients as decoder_layer(weights, hidden, context, layer_index).
at::Tensor checkpointed_decoder_layer(const DecoderLayerWeights& weights, const at::Tensor& hidden,
                                      std::shared_ptr<const ForwardContext> context,
                                      int64_t layer_index);

}  // namespace wizard::model
