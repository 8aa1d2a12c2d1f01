// LoRA's down-projection dropout(x) Aᵀ for the adapters of linear layers that read the same
// input (q/k/v, gate/up): one dropout mask for all of them, and for backward nothing besides x
// on the CPU (the mask is drawn again from its seed) and the mask (one byte per element)
// elsewhere, instead of a dropped copy of x per adapter.
#pragma once

#include <ATen/ATen.h>

#include <vector>

namespace wizard::model {

// dropout(x, p) A_iᵀ for each A_i ([r_i, in]), the dropout drawn once from the device's default
// generator (on the CPU: a seed from it for the mask's own generator); gradient checkpointing's
// replay of that generator redraws the same mask. p = 0: plain products. Differentiable in x
// and every A_i.
std::vector<at::Tensor> lora_down(const at::Tensor& x, const std::vector<at::Tensor>& lora_A,
                                  double p);

}  // namespace wizard::model
