#include "wizard/train/adamw.hpp"

#include <ATen/core/grad_mode.h>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "train/adamw8bit.hpp"
#include "train/adamw_cpu.hpp"
#include "wizard/base/error.hpp"

namespace wizard::train {

namespace {

bool low_precision(const at::Tensor& tensor) {
  return tensor.scalar_type() != at::kFloat;
}

// The float32 gradient of a slot whose low-precision gradient (if any) was moved into its
// accumulator, or the float32 parameter's own gradient.
const at::Tensor& float_gradient(const AdamW::Slot& slot) {
  return slot.low_precision() ? slot.accumulator : slot.parameter.grad();
}

// A split master: the bfloat16 parameter holds the float32 master's bits rounded to their
// high 16 (to nearest, ties away from zero) and master_low the remainder, bits - (high << 16),
// which lies in [-2^15, 2^15) and so fits an int16. (Ties to even, torch's rounding, would give
// an even high half 2^16 + 1 possible masters: one too many for 16 bits.)
at::Tensor high_bits(const at::Tensor& bfloat16) {
  return at::bitwise_left_shift(bfloat16.view(at::kShort).to(at::kInt).bitwise_and(0xFFFF), 16);
}

void split_master_halves(const at::Tensor& master, const at::Tensor& parameter,
                         const at::Tensor& master_low) {
  const at::Tensor bits = master.view(at::kInt);
  const at::Tensor high = at::where(master.isnan(), at::full({}, 0x7FC0, bits.options()),
                                    at::bitwise_right_shift(bits + 0x8000, 16));
  parameter.detach().view(at::kShort).copy_(high.to(at::kShort));
  master_low.copy_((bits - high_bits(parameter.detach())).to(at::kShort));
}

bool has_gradient(const AdamW::Slot& slot) {
  return slot.accumulated || slot.parameter.grad().defined();
}

// Adds the low-precision gradient into the float32 accumulator and clears it.
void move_into_accumulator(AdamW::Slot& slot) {
  at::Tensor& grad = slot.parameter.mutable_grad();
  if (!grad.defined()) return;
  if (!slot.accumulator.defined()) {
    slot.accumulator =
        at::empty(slot.parameter.sizes(), slot.parameter.options().dtype(at::kFloat));
  }
  if (slot.accumulated) {
    slot.accumulator.add_(grad);
  } else {
    slot.accumulator.copy_(grad);
  }
  slot.accumulated = true;
  grad.reset();
}

void check_state_tensor(const safetensors::File& file, const std::string& name,
                        const at::Tensor& like) {
  if (!file.contains(name)) {
    throw Error(
        file.path().string() + ": optimizer state has no tensor '" + name +
        "'; the checkpoint was written for other parameters (a different model or trainable set)");
  }
  const auto& info = file.info(name);
  if (info.shape != like.sizes().vec()) {
    throw Error(file.path().string() + ": optimizer state '" + name + "' has shape " +
                c10::str(at::IntArrayRef(info.shape)) + " but the parameter has " +
                c10::str(like.sizes()));
  }
}

}  // namespace

at::Tensor AdamW::Slot::master_weights() const {
  at::NoGradGuard no_grad;
  if (master.defined()) return master;
  if (!master_low.defined()) return parameter.detach();
  return (high_bits(parameter.detach()) + master_low.to(at::kInt)).view(at::kFloat);
}

bool applies_weight_decay(const std::string& parameter_name) {
  std::string name = parameter_name;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (name.find("bias") != std::string::npos) return false;
  // The owning module: the name without its last component ("...input_layernorm").
  const auto dot = name.rfind('.');
  const std::string module = dot == std::string::npos ? std::string() : name.substr(0, dot);
  const std::string suffix = "norm";
  return !(module.size() >= suffix.size() &&
           module.compare(module.size() - suffix.size(), suffix.size(), suffix) == 0);
}

AdamW::AdamW(NamedParameters parameters, AdamWOptions options, AdamWKernel kernel)
    : named_(std::move(parameters)), options_(options), kernel_(kernel) {
  if (options_.state_bits != 32 && options_.state_bits != 8) {
    throw Error("AdamW: state_bits is " + std::to_string(options_.state_bits) +
                "; it must be 32 (float32 moments) or 8 (blockwise 8-bit moments)");
  }
  std::set<const void*> seen;
  for (const auto& [name, parameter] : named_) {
    if (!parameter.defined() || !parameter.requires_grad() || !parameter.is_leaf()) {
      throw Error(
          "AdamW: parameter '" + name +
          "' is not a leaf tensor that requires grad; pass the model's trainable parameters");
    }
    if (!seen.insert(parameter.data_ptr()).second) {
      throw Error("AdamW: parameter '" + name +
                  "' shares its storage with an earlier parameter; list a tied weight once");
    }
    Slot slot;
    slot.name = name;
    slot.parameter = parameter;
    slot.decay = applies_weight_decay(name);
    if (low_precision(parameter)) {
      at::NoGradGuard no_grad;
      if (split_master(parameter)) {
        slot.master_low = at::zeros(parameter.sizes(), parameter.options().dtype(at::kShort));
      } else {
        slot.master = parameter.detach().to(at::kFloat, /*non_blocking=*/false, /*copy=*/true);
      }
    }
    slots_.push_back(std::move(slot));
  }
}

bool AdamW::split_master(const at::Tensor& parameter) const {
  return kernel_ != AdamWKernel::aten && parameter.scalar_type() == at::kBFloat16 &&
         detail::fused_cpu_tensor(parameter);
}

bool AdamW::wants_eight_bit(const Slot& slot) const {
  return options_.state_bits == 8 && slot.parameter.numel() >= detail::kMin8BitNumel;
}

// Zero moments; 8-bit ones as codes with a zero absmax (every code then dequantises to 0).
void AdamW::create_state(Slot& slot) const {
  const auto options = slot.parameter.options();
  if (wants_eight_bit(slot)) {
    const int64_t blocks = detail::state_blocks(slot.parameter.numel());
    slot.exp_avg = at::zeros(slot.parameter.sizes(), options.dtype(at::kByte));
    slot.exp_avg_sq = at::zeros(slot.parameter.sizes(), options.dtype(at::kByte));
    slot.exp_avg_absmax = at::zeros({blocks}, options.dtype(at::kFloat));
    slot.exp_avg_sq_absmax = at::zeros({blocks}, options.dtype(at::kFloat));
  } else {
    slot.exp_avg = at::zeros(slot.parameter.sizes(), options.dtype(at::kFloat));
    slot.exp_avg_sq = at::zeros(slot.parameter.sizes(), options.dtype(at::kFloat));
  }
}

bool AdamW::fused(const Slot& slot) const {
  if (kernel_ == AdamWKernel::aten) return false;
  return detail::fused_cpu_tensor(slot.parameter) &&
         detail::fused_cpu_tensor(slot.parameter.grad()) &&
         (!slot.parameter.grad().defined() ||
          slot.parameter.grad().scalar_type() == slot.parameter.scalar_type());
}

void AdamW::accumulate_gradients() {
  for (Slot& slot : slots_) {
    if (slot.low_precision()) move_into_accumulator(slot);
  }
}

double AdamW::gradient_norm() {
  std::vector<at::Tensor> aten_gradients;
  double fused_sum = 0;
  bool any_fused = false;
  for (Slot& slot : slots_) {
    if (!has_gradient(slot)) continue;
    if (fused(slot)) {
      any_fused = true;
      fused_sum += detail::fused_sum_of_squares(slot.accumulated ? slot.accumulator : at::Tensor(),
                                                slot.parameter.grad());
    } else {
      if (slot.low_precision()) move_into_accumulator(slot);
      aten_gradients.push_back(float_gradient(slot));
    }
  }
  if (aten_gradients.empty()) return std::sqrt(fused_sum);
  // torch: the norm of the stacked per-tensor norms, in float32 (stacked where the gradients
  // are, so a GPU run synchronises once, not once per tensor).
  std::vector<at::Tensor> norms;
  for (const auto& gradient : aten_gradients) {
    norms.push_back(at::norm(gradient, 2).to(aten_gradients.front().device()));
  }
  const double aten_norm = at::norm(at::stack(norms), 2).item<double>();
  if (!any_fused) return aten_norm;
  return std::sqrt(fused_sum + aten_norm * aten_norm);
}

void AdamW::step(double lr, float grad_scale) {
  std::vector<Slot*> aten_slots;
  for (Slot& slot : slots_) {
    if (!has_gradient(slot)) continue;
    if (!slot.exp_avg.defined()) create_state(slot);
    if (fused(slot)) {
      step_fused(slot, lr, grad_scale);
    } else {
      if (slot.low_precision()) move_into_accumulator(slot);
      aten_slots.push_back(&slot);
    }
  }
  if (!aten_slots.empty()) step_aten(aten_slots, lr, grad_scale);
  zero_grad();
}

void AdamW::step_fused(Slot& slot, double lr, float grad_scale) {
  slot.step += 1;
  const double step = static_cast<double>(slot.step);
  const double weight_decay = slot.decay ? options_.weight_decay : 0.0;
  detail::AdamWScalars s;
  s.decay_factor = static_cast<float>(1.0 - lr * weight_decay);
  s.beta1 = static_cast<float>(options_.beta1);
  s.one_minus_beta1 = static_cast<float>(1.0 - options_.beta1);
  s.beta2 = static_cast<float>(options_.beta2);
  s.one_minus_beta2 = static_cast<float>(1.0 - options_.beta2);
  s.bias_correction2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(options_.beta2, step)));
  s.eps = static_cast<float>(options_.eps);
  s.neg_step_size = static_cast<float>(-(lr / (1.0 - std::pow(options_.beta1, step))));
  s.grad_scale = grad_scale;
  const at::Tensor accumulator = slot.accumulated ? slot.accumulator : at::Tensor();
  if (slot.eight_bit()) {
    detail::fused_adamw8bit_step(slot.parameter, slot.master, slot.master_low, accumulator,
                                 slot.parameter.grad(), slot.exp_avg, slot.exp_avg_absmax,
                                 slot.exp_avg_sq, slot.exp_avg_sq_absmax, s);
  } else {
    detail::fused_adamw_step(slot.parameter, slot.master, slot.master_low, accumulator,
                             slot.parameter.grad(), slot.exp_avg, slot.exp_avg_sq, s);
  }
}

// torch 1.13's _multi_tensor_adamw, op for op, on float32 masters and gradients (8-bit
// moments dequantised for the ops and re-quantised after them).
void AdamW::step_aten(std::vector<Slot*>& slots, double lr, float grad_scale) {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> params, grads, exp_avgs, exp_avg_sqs, decayed;
  std::vector<at::Scalar> bias_correction2_sqrt, neg_step_size;
  for (Slot* slot : slots) {
    slot->step += 1;
    const double step = static_cast<double>(slot->step);
    // A split master (whose gradient could not take the fused pass) is joined for the ops.
    if (slot->master_low.defined()) slot->master = slot->master_weights().clone();
    at::Tensor master = slot->master.defined() ? slot->master : slot->parameter;
    params.push_back(master);
    grads.push_back(float_gradient(*slot));
    if (slot->eight_bit()) {
      exp_avgs.push_back(detail::dequantize_blockwise(slot->exp_avg, slot->exp_avg_absmax, true));
      exp_avg_sqs.push_back(
          detail::dequantize_blockwise(slot->exp_avg_sq, slot->exp_avg_sq_absmax, false));
    } else {
      exp_avgs.push_back(slot->exp_avg);
      exp_avg_sqs.push_back(slot->exp_avg_sq);
    }
    if (slot->decay) decayed.push_back(master);
    bias_correction2_sqrt.emplace_back(std::sqrt(1.0 - std::pow(options_.beta2, step)));
    neg_step_size.emplace_back(-(lr / (1.0 - std::pow(options_.beta1, step))));
  }
  if (grad_scale != 1.0f) at::_foreach_mul_(grads, grad_scale);  // clip_grad_norm_'s mul_
  if (!decayed.empty()) at::_foreach_mul_(decayed, 1.0 - lr * options_.weight_decay);
  at::_foreach_mul_(exp_avgs, options_.beta1);
  at::_foreach_add_(exp_avgs, grads, 1.0 - options_.beta1);
  at::_foreach_mul_(exp_avg_sqs, options_.beta2);
  at::_foreach_addcmul_(exp_avg_sqs, grads, grads, 1.0 - options_.beta2);
  std::vector<at::Tensor> denom = at::_foreach_sqrt(exp_avg_sqs);
  at::_foreach_div_(denom, bias_correction2_sqrt);
  at::_foreach_add_(denom, options_.eps);
  at::_foreach_addcdiv_(params, exp_avgs, denom, neg_step_size);
  for (size_t i = 0; i < slots.size(); ++i) {
    Slot* slot = slots[i];
    if (slot->eight_bit()) {
      detail::quantize_blockwise(exp_avgs[i], true, slot->exp_avg, slot->exp_avg_absmax);
      detail::quantize_blockwise(exp_avg_sqs[i], false, slot->exp_avg_sq, slot->exp_avg_sq_absmax);
    }
    if (slot->master_low.defined()) {
      split_master_halves(slot->master, slot->parameter, slot->master_low);
      slot->master.reset();
    } else if (slot->master.defined()) {
      slot->parameter.copy_(slot->master);
    }
  }
}

void AdamW::zero_grad() {
  for (Slot& slot : slots_) {
    slot.parameter.mutable_grad().reset();
    slot.accumulated = false;
  }
}

at::Tensor AdamW::gradient_sum(std::size_t index) const {
  at::NoGradGuard no_grad;
  const Slot& slot = slots_.at(index);
  const at::Tensor& grad = slot.parameter.grad();
  if (slot.accumulated) return grad.defined() ? slot.accumulator + grad : slot.accumulator;
  if (!grad.defined()) return at::Tensor();
  return grad.scalar_type() == at::kFloat ? grad : grad.to(at::kFloat);
}

void AdamW::set_gradient_sum(std::size_t index, const at::Tensor& gradient) {
  Slot& slot = slots_.at(index);
  if (slot.low_precision()) {
    slot.accumulator = gradient;
    slot.accumulated = true;
    slot.parameter.mutable_grad().reset();
  } else {
    slot.parameter.mutable_grad() = gradient;
    slot.accumulated = false;
  }
}

int64_t AdamW::steps() const {
  int64_t steps = 0;
  for (const Slot& slot : slots_) steps = std::max(steps, slot.step);
  return steps;
}

namespace {
int64_t bytes_of(const at::Tensor& tensor) {
  return tensor.defined() ? tensor.numel() * static_cast<int64_t>(tensor.element_size()) : 0;
}
}  // namespace

AdamW::Memory AdamW::memory() const {
  Memory memory;
  for (const Slot& slot : slots_) {
    memory.masters += bytes_of(slot.master) + bytes_of(slot.master_low);
    memory.gradients += bytes_of(slot.parameter) + bytes_of(slot.accumulator);
    memory.state += bytes_of(slot.exp_avg) + bytes_of(slot.exp_avg_sq) +
                    bytes_of(slot.exp_avg_absmax) + bytes_of(slot.exp_avg_sq_absmax);
  }
  return memory;
}

safetensors::NamedTensors AdamW::state_tensors() const {
  safetensors::NamedTensors tensors;
  for (const Slot& slot : slots_) {
    tensors.emplace_back("step." + slot.name, at::full({1}, slot.step, at::dtype(at::kLong)));
    if (slot.exp_avg.defined()) {
      tensors.emplace_back("exp_avg." + slot.name, slot.exp_avg);
      tensors.emplace_back("exp_avg_sq." + slot.name, slot.exp_avg_sq);
    }
    if (slot.eight_bit()) {
      tensors.emplace_back("exp_avg_absmax." + slot.name, slot.exp_avg_absmax);
      tensors.emplace_back("exp_avg_sq_absmax." + slot.name, slot.exp_avg_sq_absmax);
    }
    if (slot.low_precision()) tensors.emplace_back("master." + slot.name, slot.master_weights());
  }
  return tensors;
}

void AdamW::load_state(const safetensors::File& file) {
  load_state(std::vector<safetensors::File>{file});
}

void AdamW::load_state(const std::vector<safetensors::File>& files) {
  if (files.empty()) throw Error("AdamW::load_state: no optimizer state files (a bug)");
  at::NoGradGuard no_grad;
  for (Slot& slot : slots_) {
    const std::string step_name = "step." + slot.name;
    const auto holder = std::find_if(files.begin(), files.end(), [&](const safetensors::File& f) {
      return f.contains(step_name);
    });
    if (holder == files.end() && files.size() > 1) {
      std::string names;
      for (const auto& f : files) names += (names.empty() ? "" : ", ") + f.path().string();
      throw Error("no optimizer state shard holds '" + step_name + "' (looked in " + names +
                  "); the checkpoint was written for other parameters");
    }
    const safetensors::File& file = holder == files.end() ? files.front() : *holder;
    check_state_tensor(file, step_name, at::empty({1}));
    slot.step = file.load(step_name, at::kLong).item<int64_t>();
    load_moments(slot, file);
    if (slot.low_precision()) {
      check_state_tensor(file, "master." + slot.name, slot.parameter);
      const at::Tensor master =
          file.load("master." + slot.name, at::kFloat, slot.parameter.device()).contiguous();
      if (slot.master_low.defined()) {
        split_master_halves(master, slot.parameter, slot.master_low);
      } else {
        slot.master = master;
        slot.parameter.copy_(master);
      }
    }
  }
  zero_grad();
}

// The moments as saved: float32, or 8-bit codes with their absmax where this optimizer keeps
// 8-bit state (a checkpoint of the other kind is refused: resume with the optim it was
// written with).
void AdamW::load_moments(Slot& slot, const safetensors::File& file) const {
  slot.exp_avg = slot.exp_avg_sq = slot.exp_avg_absmax = slot.exp_avg_sq_absmax = at::Tensor();
  if (!file.contains("exp_avg." + slot.name)) return;
  const bool eight_bit = wants_eight_bit(slot);
  const auto moment_dtype = eight_bit ? at::kByte : at::kFloat;
  const auto device = slot.parameter.device();
  for (const char* kind : {"exp_avg.", "exp_avg_sq."}) {
    const std::string name = kind + slot.name;
    check_state_tensor(file, name, slot.parameter);
    if (file.info(name).dtype != moment_dtype) {
      throw Error(
          file.path().string() + ": optimizer state '" + name + "' is " +
          file.info(name).dtype_name + " but this run keeps " +
          (eight_bit ? "8-bit (U8) moments (optim = an 8-bit AdamW)" : "float32 (F32) moments") +
          "; resume with the optim the checkpoint was written with");
    }
  }
  slot.exp_avg = file.load("exp_avg." + slot.name, moment_dtype, device).contiguous();
  slot.exp_avg_sq = file.load("exp_avg_sq." + slot.name, moment_dtype, device).contiguous();
  if (!eight_bit) return;
  const at::Tensor blocks = at::empty({detail::state_blocks(slot.parameter.numel())});
  for (const char* kind : {"exp_avg_absmax.", "exp_avg_sq_absmax."}) {
    check_state_tensor(file, kind + slot.name, blocks);
  }
  slot.exp_avg_absmax = file.load("exp_avg_absmax." + slot.name, at::kFloat, device).contiguous();
  slot.exp_avg_sq_absmax =
      file.load("exp_avg_sq_absmax." + slot.name, at::kFloat, device).contiguous();
}

float clip_coefficient(double total_norm, double max_norm) {
  const float denominator = static_cast<float>(total_norm) + static_cast<float>(1e-6);
  const float coefficient = (1.0f / denominator) * static_cast<float>(max_norm);
  return std::min(coefficient, 1.0f);
}

double clip_grad_norm_(const std::vector<at::Tensor>& gradients, double max_norm) {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> norms;
  for (const auto& gradient : gradients) {
    if (!gradient.defined()) continue;
    const at::Tensor norm = at::norm(gradient, 2);
    norms.push_back(norms.empty() ? norm : norm.to(norms.front().device()));
  }
  if (norms.empty()) return 0.0;
  const at::Tensor total = at::norm(at::stack(norms), 2);
  const at::Tensor coefficient = ((total + 1e-6).reciprocal() * max_norm).clamp_max(1.0);
  for (const auto& gradient : gradients) {
    if (gradient.defined()) gradient.mul_(coefficient.to(gradient.device()));
  }
  return total.item<double>();
}

}  // namespace wizard::train
