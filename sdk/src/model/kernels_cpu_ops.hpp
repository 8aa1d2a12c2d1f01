// Tensor-level entry points of the fused CPU kernels (kernels_cpu.hpp): shape handling,
// output allocation and the split of rows across at::parallel_for threads. Callers check
// fused() first and keep an ATen path for every other device and dtype.
#pragma once

#include <ATen/ATen.h>

#include <initializer_list>
#include <optional>
#include <utility>

#include "attention_plan.hpp"

namespace wizard::model::cpu {

// Whether the fused kernels serve these tensors: all on the CPU, all float32 or all
// bfloat16, and the kernels not switched off (WIZARD_CPU_KERNELS=aten in the environment,
// or a ScopedAtenKernels alive on this thread).
bool fused(std::initializer_list<at::Tensor> tensors);

// Forces the ATen paths on this thread while alive (tests and benchmarks compare both).
class ScopedAtenKernels {
 public:
  ScopedAtenKernels();
  ~ScopedAtenKernels();
  ScopedAtenKernels(const ScopedAtenKernels&) = delete;
  ScopedAtenKernels& operator=(const ScopedAtenKernels&) = delete;
};

// x [..., n], weight [n] -> y (x's shape) and rstd [rows] float32.
std::pair<at::Tensor, at::Tensor> rms_norm(const at::Tensor& x, const at::Tensor& weight,
                                           double eps);
// -> grad_x (x's shape) and grad_weight [n].
std::pair<at::Tensor, at::Tensor> rms_norm_backward(const at::Tensor& grad, const at::Tensor& x,
                                                    const at::Tensor& weight,
                                                    const at::Tensor& rstd);

// round(silu(gate)) * up, gate and up [..., n] (rows may be strided).
at::Tensor swiglu(const at::Tensor& gate, const at::Tensor& up);
// -> grad_gate, grad_up.
std::pair<at::Tensor, at::Tensor> swiglu_backward(const at::Tensor& grad, const at::Tensor& gate,
                                                  const at::Tensor& up);

// Attention (attention_cpu.cpp). Slot tensors are [blocks, heads, slots, head_dim].
// Rows [N, heads * head_dim] -> slots by `index` (flat positions, -1: zeros), rotated by RoPE
// when cos/sin ([N, head_dim]) are defined.
at::Tensor gather_slots(const at::Tensor& rows, const at::Tensor& cos, const at::Tensor& sin,
                        const std::vector<int64_t>& index, int64_t blocks, int64_t slots,
                        int64_t heads, int64_t head_dim);
// rows[p] += the slots reading p (map), rotated back when cos/sin are defined.
void scatter_add_slots(const at::Tensor& slots, const at::Tensor& cos, const at::Tensor& sin,
                       const SlotMap& map, at::Tensor& rows);
// Scores [blocks * kv_heads, groups * query_slots, key_slots] of `group` -> probabilities, in
// place (query heads = kv_heads * groups share the layout [blocks][heads][queries][keys]).
void masked_softmax_(at::Tensor& scores, const BlockGroup& group, int64_t heads,
                     std::optional<int64_t> window, double scale);
// grad of the probabilities -> grad of the scores (scale included), in place.
void masked_softmax_backward_(const at::Tensor& probs, at::Tensor& grad, const BlockGroup& group,
                              int64_t heads, std::optional<int64_t> window, double scale);

// LM head (preference/selected_logprobs.cpp), over transposed logits [vocabulary rows from
// first_row, positions]: merges the chunk into the running per-position max and sum of exp
// (float32 [positions]), adds its logits into logit_sum (float64) and records the label's
// logit in picked where the label falls in the chunk. labels: int64 [positions].
void logit_stats(const at::Tensor& logits, int64_t first_row, const at::Tensor& labels,
                 at::Tensor& max, at::Tensor& sum, at::Tensor& picked, at::Tensor& logit_sum);
// In place: logits -> grad * (onehot(label) - exp(logits - lse)) (lse, grad: float32).
void logit_grad_(at::Tensor& logits, int64_t first_row, const at::Tensor& labels,
                 const at::Tensor& lse, const at::Tensor& grad);

}  // namespace wizard::model::cpu
