#include "adapted_linear.hpp"

#include <ATen/core/grad_mode.h>

#include "wizard/model/quantization.hpp"

namespace wizard::model {

at::Tensor base_weight(const at::Tensor& weight, const LinearAdapter& adapter,
                       at::ScalarType dtype) {
  return adapter.quantized ? dequantize(*adapter.quantized, dtype) : weight;
}

namespace {
thread_local int training_scopes = 0;
}  // namespace

LoraTrainingScope::LoraTrainingScope() {
  ++training_scopes;
}
LoraTrainingScope::~LoraTrainingScope() {
  --training_scopes;
}

at::Tensor add_lora(const at::Tensor& base, const at::Tensor& x, const LinearAdapter& adapter) {
  if (!adapter.lora_A.defined()) return base;
  // PEFT: dropout on the adapter's input only (nn.Dropout in training mode: while autograd
  // records here), then B(A(x)) * scaling added to the base layer's output.
  const bool drop = adapter.dropout > 0 && (at::GradMode::is_enabled() || training_scopes > 0);
  const at::Tensor input = drop ? at::dropout(x, adapter.dropout, /*train=*/true) : x;
  return base + at::linear(at::linear(input, adapter.lora_A), adapter.lora_B) * adapter.scaling;
}

at::Tensor adapted_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                          const LinearAdapter& adapter) {
  if (!adapter.quantized) return add_lora(at::linear(x, weight, bias), x, adapter);
  // bitsandbytes' Linear4bit: the product in the compute dtype, the output in the input's.
  const at::ScalarType compute = adapter.quantized->compute_dtype;
  at::Tensor out = quantized_matmul(x.to(compute), adapter.quantized);
  if (bias.defined()) out = out + bias.to(compute);
  return add_lora(out.to(x.scalar_type()), x, adapter);
}

bool uses_lora_dropout(const DecoderLayerWeights& layer) {
  for (const LayerLinear& linear : layer_linears(const_cast<DecoderLayerWeights&>(layer))) {
    if (linear.adapter.lora_A.defined() && linear.adapter.dropout > 0) return true;
  }
  return false;
}

}  // namespace wizard::model
