// Rotary position embeddings as transformers computes them: inverse frequencies from the
// config's rope type (modeling_rope_utils), cos/sin tables in float32 cast to the compute
// dtype, and the rotate-half convention (the two halves of head_dim form the pairs).
#pragma once

#include <ATen/ATen.h>

#include "wizard/model/config.hpp"

namespace wizard::model {

// [head_dim / 2] float32 on the CPU: 1 / theta^(2i/d), rescaled by the rope type.
at::Tensor rope_inverse_frequencies(const ModelConfig& config);

// The factor transformers multiplies cos and sin by; 1 for every supported rope type.
double rope_attention_scaling(const ModelConfig& config);

struct RotaryTables {
  at::Tensor cos;  // [R, T, head_dim] in the compute dtype
  at::Tensor sin;
};

// Tables for `position_ids` [R, T]; `inverse_frequencies` on the positions' device.
RotaryTables rotary_tables(const at::Tensor& inverse_frequencies, const at::Tensor& position_ids,
                           at::ScalarType dtype, double attention_scaling);

// x [R, T, heads, head_dim] rotated by its positions: x * cos + rotate_half(x) * sin.
at::Tensor apply_rotary(const at::Tensor& x, const RotaryTables& tables);

}  // namespace wizard::model
