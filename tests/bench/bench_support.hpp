// Shared pieces of the micro-benchmarks: threads, the ATen/fused switch, random tensors.
#pragma once

#include <ATen/ATen.h>
#include <benchmark/benchmark.h>

#include <optional>

#include "model/decoder_layer.hpp"
#include "model/kernels_cpu_ops.hpp"
#include "wizard/model/config.hpp"
#include "wizard/model/layout.hpp"
#include "wizard/model/weights.hpp"

namespace wizard::bench {

// at::set_num_threads from WIZARD_BENCH_THREADS (default 2) and the CPU buffer cache (unless
// WIZARD_CPU_BUFFER_CACHE=0), once.
void use_bench_threads();

// While alive: the ATen path when the benchmark's first argument is 0, fused kernels when 1.
class KernelPath {
 public:
  explicit KernelPath(const benchmark::State& state);

 private:
  std::optional<model::cpu::ScopedAtenKernels> aten_;
};

at::Tensor random(at::IntArrayRef shape, at::ScalarType dtype = at::kBFloat16, double scale = 1);

// The Qwen2.5-0.5B shape.
inline constexpr int64_t kHidden = 896;
inline constexpr int64_t kHeads = 14;
inline constexpr int64_t kKvHeads = 2;
inline constexpr int64_t kHeadDim = 64;
inline constexpr int64_t kIntermediate = 4864;
inline constexpr int64_t kVocab = 151936;

// A Qwen2 config of that shape (one layer), its layer weights (random, bfloat16, requiring
// gradients) and a forward context (rotary tables and attention plan) for a layout.
model::ModelConfig qwen_config();
model::DecoderLayerWeights random_layer(const model::ModelConfig& config);
std::shared_ptr<model::ForwardContext> forward_context(const model::ModelConfig& config,
                                                       const model::AttentionLayout& layout);

// ~900 tokens in one row: two pairs [prompt | chosen | rejected] (256/192/160 and 128/96/64),
// the answers attending to their prompt.
model::AttentionLayout pair_layout();
// ~900 tokens in one row: 48 independent sequences of 10 to 28 tokens.
model::AttentionLayout short_sequences_layout();

}  // namespace wizard::bench

// ATen path (0) and fused path (1), milliseconds of wall time.
#define WIZARD_PATHS(bm) \
  BENCHMARK(bm)->ArgName("path")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime()
