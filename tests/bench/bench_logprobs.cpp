// The LM head at scored positions (selected_logprobs), forward + backward, at the
// Qwen2.5-0.5B vocabulary in bfloat16: 576 scored positions (two pairs of answers up to
// 256 tokens) and 1024.
#include <torch/csrc/autograd/autograd.h>

#include "bench_support.hpp"
#include "wizard/preference/selected_logprobs.hpp"

namespace wizard::bench {
namespace {

void BM_SelectedLogprobs(benchmark::State& state) {
  const KernelPath path(state);
  const int64_t positions = state.range(1);
  const at::Tensor hidden = random({positions, kHidden}).requires_grad_(true);
  const at::Tensor weight = random({kVocab, kHidden}, at::kBFloat16, 0.02).requires_grad_(true);
  const at::Tensor labels = at::randint(0, kVocab, {positions}, at::kLong);
  for (auto _ : state) {
    const auto out = preference::selected_logprobs(hidden, weight, labels);
    const auto grads = torch::autograd::grad({out.logps.sum()}, {hidden, weight});
    benchmark::DoNotOptimize(grads.data());
  }
  state.counters["positions"] = static_cast<double>(positions);
}
BENCHMARK(BM_SelectedLogprobs)
    ->ArgNames({"path", "positions"})
    ->ArgsProduct({{0, 1}, {576, 1024}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace wizard::bench
