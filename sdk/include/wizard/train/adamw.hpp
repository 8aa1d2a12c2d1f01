// AdamW with torch.optim.AdamW's update (torch 1.13, _single_tensor_adamw), over float32
// master weights:
//
//   step += 1
//   p  = p * (1 - lr * weight_decay)                  decoupled decay (decay group only)
//   m  = m * beta1 + (1 - beta1) * g
//   v  = v * beta2 + (1 - beta2) * g * g
//   p  = p - lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)
//
// Parameters stored in bfloat16 or float16 get a float32 master copy: gradients are taken
// into float32, the update runs on the master, and the result is rounded into the model's
// tensor. Float32 parameters are their own masters. Gradients of several micro-batches of
// low-precision parameters are summed in float32 (accumulate_gradients()).
//
// A bfloat16 parameter on the fused CPU path keeps its master in two halves: the parameter
// itself (the master rounded to nearest even) and 16 bits more (master_low: the master's bits
// minus the parameter's shifted up), which restore the float32 master exactly. Same results,
// 2 bytes per parameter instead of 4, and less memory traffic per step.
//
// Weight decay follows HF's Trainer: no decay for biases and normalisation weights
// (applies_weight_decay()). On the CPU, contiguous float/bfloat16/half tensors take one fused
// pass per parameter; other devices use torch's multi-tensor (_foreach) op sequence.
//
// With state_bits = 8 (bitsandbytes' AdamW8bit: optim adamw_bnb_8bit, adamw_8bit,
// paged_adamw_8bit) m and v of parameters with at least 4096 elements are stored as uint8 codes
// with a float32 absmax per block of 256 (blockwise dynamic quantisation, see
// sdk/src/train/adamw8bit.hpp): each step dequantises them, runs the update above in float32
// and re-quantises, block by block in one pass on the CPU. Smaller parameters keep float32
// state, as bitsandbytes does.
#pragma once

#include <ATen/ATen.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/model/safetensors.hpp"

namespace wizard::train {

using NamedParameters = std::vector<std::pair<std::string, at::Tensor>>;

struct WIZARD_API AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  int state_bits = 32;  // 32: float32 moments; 8: blockwise 8-bit moments (see above)
};

// HF Trainer.get_decay_parameter_names for Llama-family names: no decay for names containing
// "bias" and for the weights of normalisation modules (input_layernorm, post_attention_layernorm,
// norm, q_norm, k_norm: module names ending in "norm").
WIZARD_API bool applies_weight_decay(const std::string& parameter_name);

enum class AdamWKernel {
  automatic,  // fused on the CPU where the tensors allow it, else the ATen op sequence
  fused_cpu,  // the fused CPU pass wherever possible
  aten,       // torch's op sequence everywhere (bitwise torch.optim.AdamW on float32 params)
};

class WIZARD_API AdamW {
 public:
  // `parameters` are leaf tensors that require grad, each once (a tied weight appears once).
  AdamW(NamedParameters parameters, AdamWOptions options,
        AdamWKernel kernel = AdamWKernel::automatic);

  // Moves the gradients of low-precision parameters into their float32 accumulators and
  // clears them, so that the next backward pass does not sum in low precision. Call it after
  // every backward pass of an accumulation window except the last (no-op for float32).
  void accumulate_gradients();

  // The global L2 norm of all gradients, as torch.nn.utils.clip_grad_norm_'s total_norm.
  double gradient_norm();

  // One AdamW update at learning rate `lr`, with every gradient multiplied by `grad_scale`
  // first (the clipping coefficient); then clears the gradients. Parameters without a gradient
  // are skipped, as torch does.
  void step(double lr, float grad_scale = 1.0f);

  // Clears gradients and float32 accumulators.
  void zero_grad();

  // Data parallel (wizard/distributed/gradient_reducer.hpp): slot i's gradient summed so far,
  // in float32 (its accumulator plus its pending gradient; undefined when it has none), and
  // replacing it by a float32 tensor of the parameter's shape (the ranks' average), which the
  // next step() uses as it is.
  at::Tensor gradient_sum(std::size_t slot) const;
  void set_gradient_sum(std::size_t slot, const at::Tensor& gradient);

  const AdamWOptions& options() const { return options_; }
  const NamedParameters& parameters() const { return named_; }
  // Optimizer steps applied so far (the largest per-parameter step count).
  int64_t steps() const;

  // State for checkpoints: "step.<name>" (int64 [1]), "exp_avg.<name>", "exp_avg_sq.<name>"
  // and, for low-precision parameters, "master.<name>" (all float32). 8-bit moments are saved as
  // they are held: uint8 "exp_avg.<name>" / "exp_avg_sq.<name>" with float32
  // "exp_avg_absmax.<name>" / "exp_avg_sq_absmax.<name>" (one per block of 256).
  safetensors::NamedTensors state_tensors() const;
  // Restores what state_tensors() saved (names and shapes checked; errors name the file);
  // masters are also rounded into the model's parameters.
  void load_state(const safetensors::File& file);
  // The same from state spread over several files (the shards of sharded optimizer state, in
  // any partition): each parameter's tensors come from the file that holds its "step.<name>";
  // extra tensors are ignored (another rank's parameters).
  void load_state(const std::vector<safetensors::File>& files);

  // Bytes this optimizer holds or makes its parameters hold (`wizard bench --memory`).
  struct Memory {
    int64_t masters = 0;    // float32 masters, or the int16 low halves of split ones
    int64_t gradients = 0;  // one gradient per parameter in its dtype, + float32 accumulators
    int64_t state = 0;      // moments as allocated (8-bit: codes and absmax)
  };
  Memory memory() const;

  // Per-parameter slots (for tests and diagnostics).
  struct Slot {
    std::string name;
    at::Tensor parameter;    // the model's tensor
    at::Tensor master;       // float32 copy for low-precision parameters, else undefined
    at::Tensor master_low;   // int16: instead of `master` for bfloat16 on the fused CPU path
    at::Tensor accumulator;  // float32 gradient sum of earlier micro-batches (low precision)
    bool accumulated = false;
    at::Tensor exp_avg;  // created at the first step; uint8 codes when 8-bit
    at::Tensor exp_avg_sq;
    at::Tensor exp_avg_absmax;  // float32 [blocks of 256]: 8-bit state only
    at::Tensor exp_avg_sq_absmax;
    int64_t step = 0;
    bool decay = true;

    bool low_precision() const { return master.defined() || master_low.defined(); }
    bool eight_bit() const { return exp_avg_absmax.defined(); }
    // The float32 master as a tensor (the parameter itself for float32 parameters).
    at::Tensor master_weights() const;
  };
  const std::vector<Slot>& slots() const { return slots_; }

 private:
  bool fused(const Slot& slot) const;
  bool split_master(const at::Tensor& parameter) const;
  bool wants_eight_bit(const Slot& slot) const;
  void create_state(Slot& slot) const;
  void step_fused(Slot& slot, double lr, float grad_scale);
  void step_aten(std::vector<Slot*>& slots, double lr, float grad_scale);
  void load_moments(Slot& slot, const safetensors::File& file) const;

  NamedParameters named_;
  AdamWOptions options_;
  AdamWKernel kernel_;
  std::vector<Slot> slots_;
};

// torch.nn.utils.clip_grad_norm_'s coefficient: min(1, max_norm / (total_norm + 1e-6)),
// in float32 as torch computes it (reciprocal, then times max_norm).
WIZARD_API float clip_coefficient(double total_norm, double max_norm);

// torch.nn.utils.clip_grad_norm_ (norm_type 2) over `gradients`, in place: returns the
// total norm before clipping. Undefined tensors are skipped.
WIZARD_API double clip_grad_norm_(const std::vector<at::Tensor>& gradients, double max_norm);

}  // namespace wizard::train
