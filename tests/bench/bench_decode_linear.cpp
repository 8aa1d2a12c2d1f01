// The decoding path's linear layers (model/gemv_cpu.hpp) against at::linear (oneDNN) for a
// few rows of bfloat16, on the Qwen2.5-0.5B shapes: the tied LM head (151936 x 896), an MLP
// up/gate projection (4864 x 896) and the down projection (896 x 4864). At one token per row
// a step streams every weight once, so the counter weight_GBps (weight bytes per second of
// wall time) says how close each path gets to memory speed.
#include "bench_support.hpp"
#include "model/gemv_cpu.hpp"

namespace wizard::bench {
namespace {

void BM_DecodeLinear(benchmark::State& state) {
  use_bench_threads();
  const bool small = state.range(0) == 1;
  const int64_t shapes[][2] = {
      {kVocab, kHidden}, {kIntermediate, kHidden}, {kHidden, kIntermediate}};
  const int64_t n = shapes[state.range(1)][0], k = shapes[state.range(1)][1];
  const at::Tensor w = random({n, k}, at::kBFloat16, 0.05);
  const at::Tensor x = random({state.range(2), k});
  // Asked with one row: whether the CPU has the dot products, whatever rows are measured.
  if (small && !model::cpu::small_linear_applies(x.slice(0, 0, 1), w, {})) {
    state.SkipWithError("this CPU has no AVX-512 BF16 dot products");
    return;
  }
  for (auto _ : state) {
    const at::Tensor out = small ? model::cpu::small_linear(x, w, {}) : at::linear(x, w);
    benchmark::DoNotOptimize(out.data_ptr());
  }
  state.counters["weight_GBps"] = benchmark::Counter(static_cast<double>(n * k * 2) * 1e-9,
                                                     benchmark::Counter::kIsIterationInvariantRate);
}
// path 0: at::linear, 1: small_linear; shape 0: LM head, 1: MLP up, 2: MLP down; rows 1 to 16
// (where the two paths cross: kSmallLinearRows).
BENCHMARK(BM_DecodeLinear)
    ->ArgNames({"path", "shape", "rows"})
    ->ArgsProduct({{0, 1}, {0, 1, 2}, {1, 4, 8, 16}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace wizard::bench
