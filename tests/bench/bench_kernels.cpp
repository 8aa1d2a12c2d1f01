// RMSNorm, SwiGLU and RoPE, forward + backward, at 900 tokens of the Qwen2.5-0.5B shape in
// bfloat16: the fused CPU kernels against the ATen computations they replace.
#include <torch/csrc/autograd/autograd.h>

#include <vector>

#include "bench_support.hpp"
#include "model/mlp.hpp"
#include "model/rmsnorm.hpp"
#include "model/rope.hpp"

namespace wizard::bench {
namespace {

constexpr int64_t kTokens = 900;

void forward_backward(const at::Tensor& out, const std::vector<at::Tensor>& inputs) {
  const auto grads = torch::autograd::grad({out}, inputs, {at::ones_like(out)});
  benchmark::DoNotOptimize(grads.data());
}

void BM_RmsNorm(benchmark::State& state) {
  const KernelPath path(state);
  const at::Tensor x = random({kTokens, kHidden}).requires_grad_(true);
  const at::Tensor w = (random({kHidden}) + 1).requires_grad_(true);
  for (auto _ : state) forward_backward(model::rms_norm(x, w, 1e-6), {x, w});
}
WIZARD_PATHS(BM_RmsNorm);

void BM_Swiglu(benchmark::State& state) {
  const KernelPath path(state);
  const at::Tensor gate = random({kTokens, kIntermediate}).requires_grad_(true);
  const at::Tensor up = random({kTokens, kIntermediate}).requires_grad_(true);
  for (auto _ : state) forward_backward(model::swiglu(gate, up), {gate, up});
}
WIZARD_PATHS(BM_Swiglu);

// Queries rotated into attention's head-major layout [heads, tokens, head_dim] and back.
void BM_Rope(benchmark::State& state) {
  const KernelPath path(state);
  const at::Tensor q = random({kTokens, kHeads * kHeadDim}).requires_grad_(true);
  const at::Tensor inv_freq =
      1.0 / at::pow(1e6, at::arange(0, kHeadDim, 2, at::kLong).to(at::kFloat) / kHeadDim);
  const model::RotaryTables rope = model::rotary_tables(
      inv_freq, at::arange(kTokens, at::kLong).unsqueeze(0), at::kBFloat16, 1.0);
  std::vector<int64_t> index(kTokens);
  model::SlotMap map;
  for (int64_t t = 0; t < kTokens; ++t) {
    index[t] = t;
    map.positions.push_back(t);
    map.offsets.push_back(t);
    map.sources.push_back(t);
  }
  map.offsets.push_back(kTokens);
  const at::Tensor cos = rope.cos.view({kTokens, kHeadDim}),
                   sin = rope.sin.view({kTokens, kHeadDim});
  for (auto _ : state) {
    if (state.range(0) == 1) {
      const at::Tensor rotated =
          model::cpu::gather_slots(q, cos, sin, index, 1, kTokens, kHeads, kHeadDim);
      at::Tensor grad = at::zeros({kTokens, kHeads * kHeadDim}, q.options());
      model::cpu::scatter_add_slots(rotated, cos, sin, map, grad);
      benchmark::DoNotOptimize(grad.data_ptr());
    } else {
      const at::Tensor rotated = model::apply_rotary(q.view({1, kTokens, kHeads, kHeadDim}), rope)
                                     .transpose(1, 2)
                                     .contiguous();
      forward_backward(rotated, {q});
    }
  }
}
WIZARD_PATHS(BM_Rope);

}  // namespace
}  // namespace wizard::bench
