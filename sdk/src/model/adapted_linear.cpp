#include "adapted_linear.hpp"

#include <ATen/core/grad_mode.h>

#include "lora_down.hpp"
#include "wizard/model/quantization.hpp"

namespace wizard::model {

at::Tensor base_weight(const at::Tensor& weight, const LinearAdapter& adapter,
                       at::ScalarType dtype) {
  return adapter.quantized ? dequantize(*adapter.quantized, dtype) : weight;
}

namespace {

thread_local int training_scopes = 0;

// x W^T + b, W dequantised when the adapter holds it quantised.
at::Tensor base_linear(const at::Tensor& x, const LinearOnInput& layer) {
  if (!layer.adapter.quantized) return at::linear(x, layer.weight, layer.bias);
  // bitsandbytes' Linear4bit: the product in the compute dtype, the output in the input's.
  const at::ScalarType compute = layer.adapter.quantized->compute_dtype;
  at::Tensor out = quantized_matmul(x.to(compute), layer.adapter.quantized);
  if (layer.bias.defined()) out = out + layer.bias.to(compute);
  return out.to(x.scalar_type());
}

// The dropout probability LoRA applies to its input now (0 outside training).
double active_dropout(const LinearAdapter& adapter) {
  return adapter.dropout > 0 && lora_dropout_active() ? adapter.dropout : 0.0;
}

}  // namespace

LoraTrainingScope::LoraTrainingScope() {
  ++training_scopes;
}
LoraTrainingScope::~LoraTrainingScope() {
  --training_scopes;
}

bool lora_dropout_active() {
  return at::GradMode::is_enabled() || training_scopes > 0;
}

at::Tensor add_lora(const at::Tensor& base, const at::Tensor& x, const LinearAdapter& adapter) {
  if (!adapter.lora_A.defined()) return base;
  const at::Tensor down = lora_down(x, {adapter.lora_A}, active_dropout(adapter))[0];
  return base + at::linear(down, adapter.lora_B) * adapter.scaling;
}

std::vector<at::Tensor> adapted_linears(const at::Tensor& x,
                                        const std::vector<LinearOnInput>& layers) {
  std::vector<at::Tensor> out;
  for (const LinearOnInput& layer : layers) out.push_back(base_linear(x, layer));
  // PEFT: dropout on the adapter's input only (nn.Dropout in training mode), then
  // B(A(x)) * scaling added to the base layer's output. Adapters with the same dropout
  // probability share a mask.
  std::vector<bool> done(layers.size(), false);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (done[i] || !layers[i].adapter.lora_A.defined()) continue;
    const double p = active_dropout(layers[i].adapter);
    std::vector<std::size_t> group;
    std::vector<at::Tensor> lora_A;
    for (std::size_t j = i; j < layers.size(); ++j) {
      if (done[j] || !layers[j].adapter.lora_A.defined() ||
          active_dropout(layers[j].adapter) != p) {
        continue;
      }
      done[j] = true;
      group.push_back(j);
      lora_A.push_back(layers[j].adapter.lora_A);
    }
    const std::vector<at::Tensor> down = lora_down(x, lora_A, p);
    for (std::size_t k = 0; k < group.size(); ++k) {
      const LinearAdapter& adapter = layers[group[k]].adapter;
      out[group[k]] = out[group[k]] + at::linear(down[k], adapter.lora_B) * adapter.scaling;
    }
  }
  return out;
}

at::Tensor adapted_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                          const LinearAdapter& adapter) {
  return adapted_linears(x, {{weight, bias, adapter}})[0];
}

bool uses_lora_dropout(const DecoderLayerWeights& layer) {
  for (const LayerLinear& linear : layer_linears(const_cast<DecoderLayerWeights&>(layer))) {
    if (linear.adapter.lora_A.defined() && linear.adapter.dropout > 0) return true;
  }
  return false;
}

}  // namespace wizard::model
