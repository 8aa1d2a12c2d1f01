// Decoding with a KV cache: one decoder layer over the new positions of a batch, attending
// to the keys and values cached so far (CausalLM::forward_cached). The training path
// (attention.hpp, decoder_layer.hpp) is not involved: no layouts or block plans, no autograd.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

#include "rope.hpp"
#include "wizard/model/config.hpp"
#include "wizard/model/weights.hpp"

namespace wizard::model {

// What the layers of one cached forward pass share.
struct CachedStep {
  const ModelConfig* config = nullptr;
  RotaryTables rope;  // for the new positions, [R, T, head_dim]
  int64_t start = 0;  // cache index of the first new position
};

// The additive mask [R, 1, 1, T, start + T] of new positions [start, start + T) over the
// cached positions: a key is seen when it holds a token (`valid` [R, >= start + T]), is not
// after the query, and (with a window) is fewer than `window` cache positions before it.
at::Tensor cached_attention_mask(const at::Tensor& valid, int64_t start, int64_t count,
                                 int64_t window, at::ScalarType dtype);

// x [R, T, hidden] -> x + attention -> + MLP, writing the layer's keys and values of the
// new positions into `keys` / `values` [R, kv_heads, capacity, head_dim] at `step.start`.
at::Tensor cached_decoder_layer(const DecoderLayerWeights& weights, const at::Tensor& x,
                                const CachedStep& step, const at::Tensor& mask,
                                const at::Tensor& keys, const at::Tensor& values);

}  // namespace wizard::model
