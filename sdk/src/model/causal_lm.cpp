#include "wizard/model/causal_lm.hpp"

#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <mutex>

#include "autocast_state.hpp"
#include "cpu_buffer_cache.hpp"
#include "decoder_layer.hpp"
#include "gradient_checkpointing.hpp"
#include "rmsnorm.hpp"
#include "rope.hpp"
#include "tied_embedding.hpp"
#include "wizard/base/error.hpp"

namespace wizard::model {

namespace {

std::string shape_text(at::IntArrayRef shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

void check_input(const at::Tensor& t, const char* name, const AttentionLayout& layout) {
  if (!t.defined() || t.dim() != 2 || t.size(0) != layout.rows() ||
      t.size(1) != layout.row_length()) {
    throw Error(std::string("forward: ") + name + " must be [rows, length] = [" +
                std::to_string(layout.rows()) + ", " + std::to_string(layout.row_length()) +
                "] as the attention layout says, got " +
                (t.defined() ? shape_text(t.sizes()) : "an undefined tensor") + ".");
  }
  if (t.scalar_type() != at::kLong && t.scalar_type() != at::kInt) {
    throw Error(std::string("forward: ") + name + " must hold integers (int64), got " +
                c10::toString(t.scalar_type()) + ".");
  }
}

}  // namespace

struct CausalLM::HeadAlias {
  std::mutex mutex;
  at::Tensor weight;
};

CausalLM::CausalLM(ModelConfig config, ModelWeights weights)
    : config_(std::make_shared<const ModelConfig>(std::move(config))),
      head_alias_(std::make_shared<HeadAlias>()) {
  visit_parameters(*config_, weights, [](const ParameterSpec& spec, at::Tensor& slot) {
    if (!slot.defined() || slot.sizes() != at::IntArrayRef(spec.shape)) {
      throw Error("model: parameter " + spec.name + " should be " + shape_text(spec.shape) +
                  ", got " + (slot.defined() ? shape_text(slot.sizes()) : "nothing") + ".");
    }
  });
  if (config_->tie_word_embeddings) weights.lm_head = at::Tensor();  // the head is embed_tokens
  weights_ = std::move(weights);
  inverse_frequencies_ = rope_inverse_frequencies(*config_).to(weights_.embed_tokens.device());
}

void CausalLM::set_generation_config(nlohmann::json generation_config) {
  generation_config_ = std::move(generation_config);
}

NamedParameters CausalLM::named_parameters() const {
  NamedParameters named;
  ModelWeights handles = weights_;
  visit_parameters(*config_, handles, [&](const ParameterSpec& spec, at::Tensor& slot) {
    if (slot.defined()) named.emplace_back(spec.name, slot);  // not a weight kept quantised
  });
  return named;
}

std::vector<at::Tensor> CausalLM::parameters() const {
  std::vector<at::Tensor> tensors;
  for (auto& [name, tensor] : named_parameters()) tensors.push_back(tensor);
  return tensors;
}

at::ScalarType CausalLM::dtype() const {
  return weights_.embed_tokens.scalar_type();
}

at::Device CausalLM::device() const {
  return weights_.embed_tokens.device();
}

void CausalLM::to(at::ScalarType dtype, std::optional<at::Device> device) {
  const at::Device target = device.value_or(this->device());
  visit_parameters(*config_, weights_, [&](const ParameterSpec&, at::Tensor& slot) {
    if (!slot.defined()) return;  // a weight kept quantised stays where it is
    const bool requires_grad = slot.requires_grad();
    slot = slot.detach().to(target, dtype).requires_grad_(requires_grad);
  });
  for (DecoderLayerWeights& layer : weights_.layers) {
    for (LayerLinear& linear : layer_linears(layer)) {
      for (at::Tensor* t : {&linear.adapter.lora_A, &linear.adapter.lora_B}) {
        if (!t->defined()) continue;
        const bool requires_grad = t->requires_grad();
        *t = t->detach().to(target, dtype).requires_grad_(requires_grad);
      }
    }
  }
  inverse_frequencies_ = inverse_frequencies_.to(target);
  set_head_alias(at::Tensor());
  auto config = std::make_shared<ModelConfig>(*config_);
  config->torch_dtype = dtype_name_of(dtype);
  config_ = std::move(config);
}

void CausalLM::set_rope_frequency_dtype(at::ScalarType dtype) {
  inverse_frequencies_ = rope_inverse_frequencies(*config_).to(dtype).to(device(), at::kFloat);
}

void CausalLM::set_requires_grad(bool requires_grad) {
  for (at::Tensor& t : parameters()) t.requires_grad_(requires_grad);
}

at::Tensor CausalLM::forward(const at::Tensor& input_ids, const at::Tensor& position_ids,
                             const AttentionLayout& layout) const {
  check_input(input_ids, "input_ids", layout);
  check_input(position_ids, "position_ids", layout);
  const ModelConfig& c = *config_;
  const at::Device device = this->device();
  // Tables and masks in the dtype the products run in (autocast's, when it is on).
  const at::ScalarType dtype = autocast_compute_dtype(device, this->dtype());
  if (device.is_cpu()) enable_cpu_buffer_cache_by_default();

  std::vector<std::optional<int64_t>> windows;
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const auto window = c.sliding_window_of_layer(l);
    if (std::find(windows.begin(), windows.end(), window) == windows.end())
      windows.push_back(window);
  }
  auto context = std::make_shared<ForwardContext>();
  context->config = config_;
  context->rope = rotary_tables(inverse_frequencies_, position_ids.to(device), dtype,
                                rope_attention_scaling(c));
  context->plan = std::make_shared<const AttentionPlan>(layout, windows, dtype, device);

  // transformers' nn.Embedding(padding_idx=pad_token_id): the pad row gets no gradient.
  const int64_t padding_idx =
      c.pad_token_id && *c.pad_token_id >= 0 && *c.pad_token_id < c.vocab_size ? *c.pad_token_id
                                                                               : -1;
  const at::Tensor ids = input_ids.to(device);
  at::Tensor hidden;
  if (c.tie_word_embeddings && at::GradMode::is_enabled() &&
      weights_.embed_tokens.requires_grad()) {
    TiedLookup lookup = tied_embedding(weights_.embed_tokens, ids, padding_idx);
    hidden = lookup.embeddings;
    set_head_alias(lookup.head_weight);
  } else {
    hidden = at::embedding(weights_.embed_tokens, ids, padding_idx);
    if (c.tie_word_embeddings) set_head_alias(at::Tensor());
  }
  const bool checkpoint = gradient_checkpointing_ && at::GradMode::is_enabled();
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    hidden = checkpoint ? checkpointed_decoder_layer(weights_.layers[l], hidden, context, l)
                        : decoder_layer(weights_.layers[l], hidden, *context, l);
  }
  return rms_norm(hidden, weights_.norm, c.rms_norm_eps);
}

void CausalLM::set_head_alias(at::Tensor alias) const {
  std::lock_guard<std::mutex> lock(head_alias_->mutex);
  head_alias_->weight = std::move(alias);
}

at::Tensor CausalLM::lm_head_weight() const {
  if (weights_.lm_head.defined()) return weights_.lm_head;
  at::Tensor alias;
  {
    std::lock_guard<std::mutex> lock(head_alias_->mutex);
    alias = head_alias_->weight;
  }
  // The alias only matters for gradients, and only if it still is this model's weight (a
  // copy of the model converted with to() has other tensors).
  const bool use_alias = alias.defined() && at::GradMode::is_enabled() &&
                         alias.is_alias_of(weights_.embed_tokens) &&
                         alias.scalar_type() == weights_.embed_tokens.scalar_type();
  return use_alias ? alias : weights_.embed_tokens;
}

at::Tensor CausalLM::lm_head(const at::Tensor& hidden) const {
  return at::linear(hidden, lm_head_weight());
}

at::Tensor CausalLM::loss(const at::Tensor& input_ids, const at::Tensor& position_ids,
                          const AttentionLayout& layout, const at::Tensor& labels) const {
  check_input(labels, "labels", layout);
  const at::Tensor hidden = forward(input_ids, position_ids, layout);
  const int64_t T = hidden.size(1);
  const at::Tensor targets = labels.to(hidden.device()).narrow(1, 1, T - 1).reshape({-1});
  const at::Tensor predicting = (targets != -100).nonzero().squeeze(1);
  const at::Tensor rows =
      hidden.narrow(1, 0, T - 1).reshape({-1, hidden.size(2)}).index_select(0, predicting);
  return at::cross_entropy_loss(lm_head(rows).to(at::kFloat), targets.index_select(0, predicting));
}

}  // namespace wizard::model
