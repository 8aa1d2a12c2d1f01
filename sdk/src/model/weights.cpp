#include "wizard/model/weights.hpp"

#include "wizard/base/error.hpp"

namespace wizard::model {

namespace {

using Visit = std::function<void(const ParameterSpec&, at::Tensor&)>;

// A linear layer's weight [out, in] and, when the config has one, its bias [out].
void visit_linear(const std::string& name, int64_t out, int64_t in, bool bias, at::Tensor& weight,
                  at::Tensor& bias_slot, const Visit& visit) {
  visit({name + ".weight", {out, in}, ParameterKind::linear_weight}, weight);
  if (bias) visit({name + ".bias", {out}, ParameterKind::bias}, bias_slot);
}

void visit_layer(const ModelConfig& c, const std::string& prefix, DecoderLayerWeights& w,
                 const Visit& visit) {
  const int64_t q_out = c.num_attention_heads * c.head_dim;
  const int64_t kv_out = c.num_key_value_heads * c.head_dim;
  AttentionWeights& a = w.self_attn;
  const std::string attn = prefix + "self_attn.";
  visit_linear(attn + "q_proj", q_out, c.hidden_size, c.qkv_bias, a.q_proj, a.q_proj_bias, visit);
  visit_linear(attn + "k_proj", kv_out, c.hidden_size, c.qkv_bias, a.k_proj, a.k_proj_bias, visit);
  visit_linear(attn + "v_proj", kv_out, c.hidden_size, c.qkv_bias, a.v_proj, a.v_proj_bias, visit);
  visit_linear(attn + "o_proj", c.hidden_size, q_out, c.o_proj_bias, a.o_proj, a.o_proj_bias,
               visit);
  if (c.qk_norm) {
    visit({attn + "q_norm.weight", {c.head_dim}, ParameterKind::norm}, a.q_norm);
    visit({attn + "k_norm.weight", {c.head_dim}, ParameterKind::norm}, a.k_norm);
  }
  MlpWeights& m = w.mlp;
  const std::string mlp = prefix + "mlp.";
  const int64_t h = c.hidden_size;
  const int64_t i = c.intermediate_size;
  visit_linear(mlp + "gate_proj", i, h, c.mlp_bias, m.gate_proj, m.gate_proj_bias, visit);
  visit_linear(mlp + "up_proj", i, h, c.mlp_bias, m.up_proj, m.up_proj_bias, visit);
  visit_linear(mlp + "down_proj", h, i, c.mlp_bias, m.down_proj, m.down_proj_bias, visit);
  visit({prefix + "input_layernorm.weight", {h}, ParameterKind::norm}, w.input_layernorm);
  visit({prefix + "post_attention_layernorm.weight", {h}, ParameterKind::norm},
        w.post_attention_layernorm);
}

// Every tensor slot of a layer, in one fixed order (defined or not).
template <typename Layer, typename Fn>
void for_each_slot(Layer& w, Fn&& fn) {
  auto& a = w.self_attn;
  auto& m = w.mlp;
  for (auto* slot : {&w.input_layernorm, &a.q_proj, &a.q_proj_bias, &a.k_proj, &a.k_proj_bias,
                     &a.v_proj, &a.v_proj_bias, &a.o_proj, &a.o_proj_bias, &a.q_norm, &a.k_norm,
                     &w.post_attention_layernorm, &m.gate_proj, &m.gate_proj_bias, &m.up_proj,
                     &m.up_proj_bias, &m.down_proj, &m.down_proj_bias}) {
    fn(*slot);
  }
  for (auto* adapter : {&a.q_proj_adapter, &a.k_proj_adapter, &a.v_proj_adapter, &a.o_proj_adapter,
                        &m.gate_proj_adapter, &m.up_proj_adapter, &m.down_proj_adapter}) {
    fn(adapter->lora_A);
    fn(adapter->lora_B);
  }
}

}  // namespace

std::vector<at::Tensor> DecoderLayerWeights::tensors() const {
  std::vector<at::Tensor> out;
  for_each_slot(*this, [&](const at::Tensor& t) {
    if (t.defined()) out.push_back(t);
  });
  return out;
}

DecoderLayerWeights DecoderLayerWeights::with_tensors(at::TensorList tensors) const {
  DecoderLayerWeights copy = *this;
  std::size_t next = 0;
  for_each_slot(copy, [&](at::Tensor& t) {
    if (!t.defined()) return;
    if (next >= tensors.size())
      throw Error("decoder layer: too few tensors to rebind its weights.");
    t = tensors[next++];
  });
  if (next != tensors.size()) throw Error("decoder layer: too many tensors to rebind its weights.");
  return copy;
}

std::vector<LayerLinear> layer_linears(DecoderLayerWeights& w) {
  auto& a = w.self_attn;
  auto& m = w.mlp;
  return {{"self_attn.q_proj", a.q_proj, a.q_proj_bias, a.q_proj_adapter},
          {"self_attn.k_proj", a.k_proj, a.k_proj_bias, a.k_proj_adapter},
          {"self_attn.v_proj", a.v_proj, a.v_proj_bias, a.v_proj_adapter},
          {"self_attn.o_proj", a.o_proj, a.o_proj_bias, a.o_proj_adapter},
          {"mlp.gate_proj", m.gate_proj, m.gate_proj_bias, m.gate_proj_adapter},
          {"mlp.up_proj", m.up_proj, m.up_proj_bias, m.up_proj_adapter},
          {"mlp.down_proj", m.down_proj, m.down_proj_bias, m.down_proj_adapter}};
}

void visit_parameters(const ModelConfig& config, ModelWeights& weights, const Visit& visit) {
  visit({"model.embed_tokens.weight",
         {config.vocab_size, config.hidden_size},
         ParameterKind::embedding},
        weights.embed_tokens);
  weights.layers.resize(config.num_hidden_layers);
  for (int64_t l = 0; l < config.num_hidden_layers; ++l) {
    visit_layer(config, "model.layers." + std::to_string(l) + ".", weights.layers[l], visit);
  }
  visit({"model.norm.weight", {config.hidden_size}, ParameterKind::norm}, weights.norm);
  if (!config.tie_word_embeddings) {
    visit({"lm_head.weight", {config.vocab_size, config.hidden_size}, ParameterKind::linear_weight},
          weights.lm_head);
  }
}

std::vector<ParameterSpec> parameter_specs(const ModelConfig& config) {
  std::vector<ParameterSpec> specs;
  ModelWeights scratch;
  visit_parameters(config, scratch,
                   [&](const ParameterSpec& spec, at::Tensor&) { specs.push_back(spec); });
  return specs;
}

}  // namespace wizard::model
