// The parameters of a Llama-family causal LM as plain tensors, with their Hugging Face
// names. An undefined tensor is a parameter the architecture does not have (a bias the
// config turns off, q_norm outside Qwen3, lm_head when tied to the embeddings).
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/model/config.hpp"

namespace wizard::model {

struct QuantizedWeight;  // quantization.hpp

// What a linear layer of a decoder layer may carry beside its weight and bias: a LoRA adapter
// (PEFT's: y = x W^T + b + scaling * B A dropout(x); wizard/model/lora.hpp) and a frozen base
// weight kept quantised (QLoRA; the weight slot is then undefined). Both are optional.
struct WIZARD_API LinearAdapter {
  at::Tensor lora_A;  // [r, in]
  at::Tensor lora_B;  // [out, r]
  double scaling = 0;
  double dropout = 0;  // on the adapter's input, only while autograd records (training)
  std::shared_ptr<const QuantizedWeight> quantized;
};

struct WIZARD_API AttentionWeights {
  at::Tensor q_proj, q_proj_bias;
  at::Tensor k_proj, k_proj_bias;
  at::Tensor v_proj, v_proj_bias;
  at::Tensor o_proj, o_proj_bias;
  at::Tensor q_norm, k_norm;  // Qwen3: RMSNorm over head_dim
  LinearAdapter q_proj_adapter, k_proj_adapter, v_proj_adapter, o_proj_adapter;
};

struct WIZARD_API MlpWeights {
  at::Tensor gate_proj, gate_proj_bias;
  at::Tensor up_proj, up_proj_bias;
  at::Tensor down_proj, down_proj_bias;
  LinearAdapter gate_proj_adapter, up_proj_adapter, down_proj_adapter;
};

struct WIZARD_API DecoderLayerWeights {
  at::Tensor input_layernorm;
  AttentionWeights self_attn;
  at::Tensor post_attention_layernorm;
  MlpWeights mlp;

  // The defined tensors (LoRA's included) in a fixed order, and the inverse: a copy whose
  // defined slots take `tensors` in that order (used to recompute a layer on other tensors).
  std::vector<at::Tensor> tensors() const;
  DecoderLayerWeights with_tensors(at::TensorList tensors) const;
};

// One linear layer of a decoder layer, by its name inside the layer ("self_attn.q_proj").
struct LayerLinear {
  const char* name;
  at::Tensor& weight;
  at::Tensor& bias;
  LinearAdapter& adapter;
};

// The seven linear layers of `layer`, in transformers' order (q, k, v, o, gate, up, down).
WIZARD_API std::vector<LayerLinear> layer_linears(DecoderLayerWeights& layer);

struct WIZARD_API ModelWeights {
  at::Tensor embed_tokens;
  std::vector<DecoderLayerWeights> layers;
  at::Tensor norm;
  at::Tensor lm_head;  // undefined when tied: the LM head is embed_tokens
};

// What initialisation a parameter gets (transformers' _init_weights) and how it is checked.
enum class ParameterKind { embedding, linear_weight, bias, norm };

struct WIZARD_API ParameterSpec {
  std::string name;  // e.g. model.layers.0.self_attn.q_proj.weight
  std::vector<int64_t> shape;
  ParameterKind kind;
};

// Calls `visit` with every parameter `config` defines, in transformers' order
// (named_parameters()), and the slot in `weights` that holds it; `weights.layers` is
// resized to the layer count. A tied model has no lm_head.weight.
WIZARD_API void visit_parameters(
    const ModelConfig& config, ModelWeights& weights,
    const std::function<void(const ParameterSpec& spec, at::Tensor& slot)>& visit);

// Every parameter's name, shape and kind, in transformers' order.
WIZARD_API std::vector<ParameterSpec> parameter_specs(const ModelConfig& config);

}  // namespace wizard::model
