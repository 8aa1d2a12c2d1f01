// One layer's self-attention (projections, RoPE, core, output projection), forward +
// backward, on packed rows of ~900 tokens: few long segments (two prompt/answer pairs with
// shared prompts) and many short ones (48 sequences of 10-28 tokens).
#include <torch/csrc/autograd/autograd.h>

#include "bench_support.hpp"
#include "model/attention.hpp"

namespace wizard::bench {
namespace {

void BM_Attention(benchmark::State& state) {
  const KernelPath path(state);
  const model::ModelConfig config = qwen_config();
  const model::AttentionLayout layout =
      state.range(1) == 0 ? pair_layout() : short_sequences_layout();
  const auto context = forward_context(config, layout);
  const model::DecoderLayerWeights w = random_layer(config);
  const at::Tensor x = random({1, layout.row_length(), kHidden}).requires_grad_(true);
  const std::vector<at::Tensor> inputs{x, w.self_attn.q_proj, w.self_attn.k_proj,
                                       w.self_attn.v_proj, w.self_attn.o_proj};
  for (auto _ : state) {
    const at::Tensor out =
        model::self_attention(w.self_attn, x, config, context->rope, context->plan, std::nullopt);
    const auto grads = torch::autograd::grad({out}, inputs, {at::ones_like(out)});
    benchmark::DoNotOptimize(grads.data());
  }
  state.counters["tokens"] = static_cast<double>(layout.row_length());
}
BENCHMARK(BM_Attention)
    ->ArgNames({"path", "short"})
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace wizard::bench
