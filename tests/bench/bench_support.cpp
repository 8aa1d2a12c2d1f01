#include "bench_support.hpp"

#include <ATen/Parallel.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "model/cpu_buffer_cache.hpp"
#include "model/rope.hpp"

namespace wizard::bench {

void use_bench_threads() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* threads = std::getenv("WIZARD_BENCH_THREADS");
    at::set_num_threads(threads != nullptr ? std::stoi(threads) : 2);
    // As in training (CausalLM::forward turns it on): freed buffers are reused.
    model::enable_cpu_buffer_cache_by_default();
  });
}

KernelPath::KernelPath(const benchmark::State& state) {
  use_bench_threads();
  if (state.range(0) == 0) aten_.emplace();
}

at::Tensor random(at::IntArrayRef shape, at::ScalarType dtype, double scale) {
  return (at::randn(shape) * scale).to(dtype);
}

model::ModelConfig qwen_config() {
  return model::ModelConfig::from_json({{"model_type", "qwen2"},
                                        {"hidden_size", kHidden},
                                        {"intermediate_size", kIntermediate},
                                        {"num_hidden_layers", 1},
                                        {"num_attention_heads", kHeads},
                                        {"num_key_value_heads", kKvHeads},
                                        {"vocab_size", kVocab}},
                                       "benchmark");
}

model::DecoderLayerWeights random_layer(const model::ModelConfig& config) {
  model::DecoderLayerWeights w;
  const int64_t h = config.hidden_size, q = kHeads * kHeadDim, kv = kKvHeads * kHeadDim;
  const int64_t inter = config.intermediate_size;
  auto param = [](at::IntArrayRef shape, double scale) {
    return random(shape, at::kBFloat16, scale).requires_grad_(true);
  };
  w.input_layernorm = param({h}, 0.1);
  w.post_attention_layernorm = param({h}, 0.1);
  w.self_attn.q_proj = param({q, h}, 0.02);
  w.self_attn.q_proj_bias = param({q}, 0.02);
  w.self_attn.k_proj = param({kv, h}, 0.02);
  w.self_attn.k_proj_bias = param({kv}, 0.02);
  w.self_attn.v_proj = param({kv, h}, 0.02);
  w.self_attn.v_proj_bias = param({kv}, 0.02);
  w.self_attn.o_proj = param({h, q}, 0.02);
  w.mlp.gate_proj = param({inter, h}, 0.02);
  w.mlp.up_proj = param({inter, h}, 0.02);
  w.mlp.down_proj = param({h, inter}, 0.02);
  return w;
}

std::shared_ptr<model::ForwardContext> forward_context(const model::ModelConfig& config,
                                                       const model::AttentionLayout& layout) {
  auto context = std::make_shared<model::ForwardContext>();
  context->config = std::make_shared<const model::ModelConfig>(config);
  context->rope = model::rotary_tables(model::rope_inverse_frequencies(config),
                                       layout.position_ids(), at::kBFloat16, 1.0);
  context->plan = std::make_shared<const model::AttentionPlan>(
      layout, std::vector<std::optional<int64_t>>{std::nullopt}, at::kBFloat16, at::kCPU);
  return context;
}

model::AttentionLayout pair_layout() {
  model::RowSegments row;
  int64_t start = 0;
  for (const auto& [prompt, chosen, rejected] :
       std::vector<std::tuple<int64_t, int64_t, int64_t>>{{256, 192, 160}, {128, 96, 64}}) {
    const int64_t prefix = static_cast<int64_t>(row.size());
    row.push_back({start, prompt, -1});
    row.push_back({start + prompt, chosen, prefix});
    row.push_back({start + prompt + chosen, rejected, prefix});
    start += prompt + chosen + rejected;
  }
  return model::AttentionLayout::segmented({row}, start);
}

model::AttentionLayout short_sequences_layout() {
  std::vector<int64_t> lengths;
  int64_t total = 0;
  for (int64_t i = 0; i < 48; ++i) {
    lengths.push_back(10 + (i * 7) % 19);
    total += lengths.back();
  }
  return model::AttentionLayout::packed({lengths}, total);
}

}  // namespace wizard::bench
