#include "decoder_layer.hpp"

#include "attention.hpp"
#include "mlp.hpp"
#include "rmsnorm.hpp"

namespace wizard::model {

at::Tensor decoder_layer(const DecoderLayerWeights& w, const at::Tensor& hidden,
                         const ForwardContext& context, int64_t layer_index) {
  const ModelConfig& config = *context.config;
  const double eps = config.rms_norm_eps;
  const at::Tensor attended =
      self_attention(w.self_attn, rms_norm(hidden, w.input_layernorm, eps), config, context.rope,
                     context.plan, config.sliding_window_of_layer(layer_index));
  const at::Tensor h = hidden + attended;
  return h + swiglu_mlp(w.mlp, rms_norm(h, w.post_attention_layernorm, eps));
}

}  // namespace wizard::model
