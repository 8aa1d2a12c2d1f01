#include "lora_down.hpp"

#include <torch/csrc/autograd/custom_function.h>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <mutex>

namespace wizard::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// x with the dropped elements zeroed and the kept ones scaled by 1 / (1 - p), as nn.Dropout.
at::Tensor apply_mask(const at::Tensor& x, const at::Tensor& keep, double p) {
  return x.mul(keep).mul_(1.0 / (1.0 - p));
}

// splitmix64's finaliser: a well-mixed 64-bit hash of a counter.
inline uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// CPU: the keep mask (bool, shaped as x), element i kept when a 32-bit half of
// mix(seed + golden * (i / 2)) is at least p * 2^32. A counter-based draw: backward makes it
// again from the seed instead of keeping it, and threads fill it in parallel. ATen's
// bernoulli_ with a generator draws element by element on one thread: on the Qwen2.5-0.5B
// bench shape it took ~1.4 s of each forward and as much of each backward.
at::Tensor cpu_keep_mask(const at::Tensor& x, double p, uint64_t seed) {
  at::Tensor keep = at::empty(x.sizes(), x.options().dtype(at::kBool));
  bool* out = keep.data_ptr<bool>();
  const auto threshold = static_cast<uint64_t>(p * 4294967296.0);
  const int64_t pairs = (keep.numel() + 1) / 2, numel = keep.numel();
  at::parallel_for(0, pairs, 1 << 14, [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; ++j) {
      const uint64_t bits = mix(seed + 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(j));
      out[2 * j] = (bits & 0xffffffffull) >= threshold;
      if (2 * j + 1 < numel) out[2 * j + 1] = (bits >> 32) >= threshold;
    }
  });
  return keep;
}

// A seed for one mask, drawn from the CPU's default generator (which gradient checkpointing's
// replay restores, so the recomputation draws the same seed).
uint64_t draw_seed() {
  auto* generator = at::detail::getDefaultCPUGenerator().get<at::CPUGeneratorImpl>();
  std::lock_guard<std::mutex> lock(generator->mutex_);
  return generator->random64();
}

// Inputs: x, the keep mask (bool, no gradient), the A matrices, p, and the mask's seed on the
// CPU (-1 elsewhere). Saves x, and the mask only off the CPU; the dropped input is made again
// in backward (one elementwise pass) instead of being kept, and on the CPU the mask too.
class LoraDown : public torch::autograd::Function<LoraDown> {
 public:
  static variable_list forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& keep,
                               at::TensorList lora_A, double p, int64_t seed) {
    variable_list saved{x, seed >= 0 ? at::Tensor() : keep};
    saved.insert(saved.end(), lora_A.begin(), lora_A.end());
    ctx->save_for_backward(saved);
    ctx->saved_data["p"] = p;
    ctx->saved_data["seed"] = seed;
    const at::Tensor dropped = apply_mask(x, keep, p);
    variable_list out;
    for (const at::Tensor& a : lora_A) out.push_back(at::linear(dropped, a));
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];
    const double p = ctx->saved_data["p"].toDouble();
    const int64_t seed = ctx->saved_data["seed"].toInt();
    const at::Tensor keep = seed >= 0 ? cpu_keep_mask(x, p, static_cast<uint64_t>(seed)) : saved[1];
    const std::size_t n = saved.size() - 2;
    variable_list out(n + 4);  // x, keep, each A, p, seed
    const at::Tensor dropped = apply_mask(x, keep, p);
    const at::Tensor dropped_2d = dropped.reshape({-1, x.size(-1)});
    at::Tensor grad_dropped;
    for (std::size_t i = 0; i < n; ++i) {
      if (!grads[i].defined()) continue;
      const at::Tensor& a = saved[2 + i];
      // In the gradient's dtype (autocast may have run the product in a narrower one).
      const at::ScalarType dtype = grads[i].scalar_type();
      if (ctx->needs_input_grad(2 + i)) {
        const at::Tensor g = grads[i].reshape({-1, grads[i].size(-1)});
        out[2 + i] = g.t().mm(dropped_2d.to(dtype)).to(a.scalar_type());
      }
      if (ctx->needs_input_grad(0)) {
        const at::Tensor gx = at::matmul(grads[i], a.to(dtype));
        grad_dropped = grad_dropped.defined() ? grad_dropped.add_(gx) : gx;
      }
    }
    if (grad_dropped.defined()) out[0] = apply_mask(grad_dropped.to(x.scalar_type()), keep, p);
    return out;
  }
};

}  // namespace

std::vector<at::Tensor> lora_down(const at::Tensor& x, const std::vector<at::Tensor>& lora_A,
                                  double p) {
  std::vector<at::Tensor> out;
  if (p == 0) {
    for (const at::Tensor& a : lora_A) out.push_back(at::linear(x, a));
    return out;
  }
  // Seeds are non-negative int64 (the autograd context stores signed integers).
  const int64_t seed =
      x.is_cpu() ? static_cast<int64_t>(draw_seed() & 0x7FFFFFFFFFFFFFFFull) : int64_t{-1};
  const at::Tensor keep = seed >= 0
                              ? cpu_keep_mask(x, p, static_cast<uint64_t>(seed))
                              : at::empty_like(x, x.options().dtype(at::kBool)).bernoulli_(1.0 - p);
  bool differentiable = at::GradMode::is_enabled() && x.requires_grad();
  for (const at::Tensor& a : lora_A) {
    differentiable = differentiable || (at::GradMode::is_enabled() && a.requires_grad());
  }
  if (differentiable) return LoraDown::apply(x, keep, at::TensorList(lora_A), p, seed);
  const at::Tensor dropped = apply_mask(x, keep, p);
  for (const at::Tensor& a : lora_A) out.push_back(at::linear(dropped, a));
  return out;
}

}  // namespace wizard::model
