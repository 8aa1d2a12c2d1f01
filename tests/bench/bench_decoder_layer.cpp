// One decoder layer of the Qwen2.5-0.5B shape, forward + backward (every weight's gradient),
// on ~900 tokens of two prompt/answer pairs with shared prompts, bfloat16.
#include <torch/csrc/autograd/autograd.h>

#include "bench_support.hpp"
#include "model/decoder_layer.hpp"

namespace wizard::bench {
namespace {

void BM_DecoderLayer(benchmark::State& state) {
  const KernelPath path(state);
  const model::ModelConfig config = qwen_config();
  const model::AttentionLayout layout = pair_layout();
  const auto context = forward_context(config, layout);
  const model::DecoderLayerWeights w = random_layer(config);
  const at::Tensor x = random({1, layout.row_length(), kHidden}).requires_grad_(true);
  std::vector<at::Tensor> inputs = w.tensors();
  inputs.push_back(x);
  for (auto _ : state) {
    const at::Tensor out = model::decoder_layer(w, x, *context, 0);
    const auto grads = torch::autograd::grad({out}, inputs, {at::ones_like(out)});
    benchmark::DoNotOptimize(grads.data());
  }
  state.counters["tokens"] = static_cast<double>(layout.row_length());
}
WIZARD_PATHS(BM_DecoderLayer);

}  // namespace
}  // namespace wizard::bench
