// The linear layers of a decoder layer with what LinearAdapter adds: the frozen base weight
// dequantised on the fly when it is kept quantised, and a LoRA adapter's low-rank update.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <vector>

#include "wizard/model/weights.hpp"

namespace wizard::model {

// x W^T + b (W dequantised first when the adapter holds it quantised), plus LoRA's
// scaling * B A dropout(x) when the adapter has one.
at::Tensor adapted_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                          const LinearAdapter& adapter);

// One of several linear layers that read the same input.
struct LinearOnInput {
  const at::Tensor& weight;
  const at::Tensor& bias;
  const LinearAdapter& adapter;
};

// adapted_linear of each layer on the same x (q/k/v, gate/up). Their LoRA adapters share one
// dropout mask, drawn once for x, and keep only that mask for backward (lora_down.hpp). PEFT
// draws a mask per adapter: the same distribution, other random numbers (docs/training.md).
std::vector<at::Tensor> adapted_linears(const at::Tensor& x,
                                        const std::vector<LinearOnInput>& layers);

// The base weight in `dtype`: the slot's tensor, or the quantised weight dequantised.
at::Tensor base_weight(const at::Tensor& weight, const LinearAdapter& adapter,
                       at::ScalarType dtype);

// `base` (x W^T + b, computed by the caller) plus LoRA's update, if the adapter has one.
at::Tensor add_lora(const at::Tensor& base, const at::Tensor& x, const LinearAdapter& adapter);

// Whether LoRA dropout draws masks now: autograd records, or a LoraTrainingScope is open.
bool lora_dropout_active();

// x W^T for a weight kept quantised, dequantising it in the forward and again in the backward
// (quantization.cpp).
at::Tensor quantized_matmul(const at::Tensor& x, const std::shared_ptr<const QuantizedWeight>& w);

// LoRA dropout is on while autograd records; this scope turns it on for the current thread
// where autograd is off but the pass is training: a checkpointed layer's forward.
class LoraTrainingScope {
 public:
  LoraTrainingScope();
  ~LoraTrainingScope();
  LoraTrainingScope(const LoraTrainingScope&) = delete;
  LoraTrainingScope& operator=(const LoraTrainingScope&) = delete;
};

// Whether any linear layer of `layer` draws LoRA dropout masks (recomputation must replay them).
bool uses_lora_dropout(const DecoderLayerWeights& layer);

}  // namespace wizard::model
