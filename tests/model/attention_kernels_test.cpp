// The fused CPU attention (RoPE while gathering, masked softmax from block counts, scatter
// through RoPE's transpose) against the ATen path, forward and backward, on the layouts the
// model meets: shared prefixes and chains, many short packed sequences, left/right padding
// (with queries that see no key), sliding windows, grouped-query heads, head sizes that are
// not multiples of the vector width.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "kernel_test_support.hpp"
#include "model/attention.hpp"
#include "model/attention_plan.hpp"
#include "model/rope.hpp"

namespace wizard::test {
namespace {

using model::AttentionLayout;

struct Shape {
  std::string type = "qwen2";
  int64_t heads = 4, kv_heads = 2, head_dim = 16;
  std::optional<int64_t> window;
};

model::ModelConfig config_of(const Shape& s) {
  nlohmann::json j = {{"model_type", s.type},           {"hidden_size", 24},
                      {"intermediate_size", 32},        {"num_hidden_layers", 1},
                      {"num_attention_heads", s.heads}, {"num_key_value_heads", s.kv_heads},
                      {"head_dim", s.head_dim},         {"vocab_size", 50}};
  if (s.window) j["sliding_window"] = *s.window;
  return model::ModelConfig::from_json(j, "test");
}

// Compares fused attention of one layer over `layout` with the ATen path (in float64 for
// bfloat16: see expect_fused_matches_aten).
void check(const Shape& shape, const AttentionLayout& layout, at::ScalarType dtype,
           const std::string& what) {
  SCOPED_TRACE(what);
  const model::ModelConfig config = config_of(shape);
  const int64_t hidden = config.hidden_size, D = config.head_dim;
  const int64_t q_width = config.num_attention_heads * D, kv_width = config.num_key_value_heads * D;
  const auto windows = std::vector<std::optional<int64_t>>{config.sliding_window_of_layer(0)};
  // Plan and rotary tables in the dtype of the call's inputs (the bfloat16 reference runs
  // in float64).
  const auto plan_of = [&](at::ScalarType type) {
    return std::make_shared<const model::AttentionPlan>(layout, windows, type, at::kCPU);
  };
  const auto rope_of = [&](at::ScalarType type) {
    return model::rotary_tables(model::rope_inverse_frequencies(config), layout.position_ids(),
                                type, 1.0);
  };
  const std::vector<at::Tensor> inputs = {
      random({layout.rows(), layout.row_length(), hidden}, dtype),
      random({q_width, hidden}, dtype, 0.3),
      random({kv_width, hidden}, dtype, 0.3),
      random({kv_width, hidden}, dtype, 0.3),
      random({hidden, q_width}, dtype, 0.3),
      random({q_width}, dtype, 0.1),
      random({kv_width}, dtype, 0.1),
      random({kv_width}, dtype, 0.1),
      random({D}, dtype, 0.1) + 1,
      random({D}, dtype, 0.1) + 1};
  const bool qk_norm = config.qk_norm;
  expect_fused_matches_aten(
      [&](const std::vector<at::Tensor>& in) {
        const auto plan = plan_of(in[0].scalar_type());
        const model::RotaryTables rope = rope_of(in[0].scalar_type());
        model::AttentionWeights w;
        w.q_proj = in[1];
        w.k_proj = in[2];
        w.v_proj = in[3];
        w.o_proj = in[4];
        if (!qk_norm) {
          w.q_proj_bias = in[5];
          w.k_proj_bias = in[6];
          w.v_proj_bias = in[7];
          // Keep every input in the graph so each has a gradient on both paths.
          return model::self_attention(w, in[0], config, rope, plan, windows[0]) +
                 0 * (in[8].sum() + in[9].sum());
        }
        w.q_norm = in[8];
        w.k_norm = in[9];
        return model::self_attention(w, in[0], config, rope, plan, windows[0]) +
               0 * (in[5].sum() + in[6].sum() + in[7].sum());
      },
      inputs, what, dtype == at::kBFloat16 ? 0.05 : 1e-4,
      // The key bias's gradient sums dK over every token, and those terms nearly cancel
      // (softmax ignores a shift shared by all of a query's scores): in bfloat16 the sum is
      // at the rounding noise of its terms, up to 1.5x the tolerance over 100 seeds. It is
      // checked in float32, to 1e-4.
      dtype == at::kBFloat16 ? std::vector<std::size_t>{6} : std::vector<std::size_t>{},
      layout.token_mask().unsqueeze(-1));
}

class AttentionKernels : public ::testing::TestWithParam<at::ScalarType> {};

TEST_P(AttentionKernels, SharedPrefixesAndChains) {
  // Row 0: prompt, two answers on it, a follow-up on the first answer; row 1 with padding.
  const auto layout = AttentionLayout::segmented(
      {{{0, 11, -1}, {11, 7, 0}, {18, 13, 0}, {31, 5, 1}}, {{0, 5, -1}, {5, 20, 0}}}, 40);
  check({}, layout, GetParam(), "qwen2 head_dim 16");
  check({"qwen2", 6, 2, 24, std::nullopt}, layout, GetParam(),
        "head_dim 24, three query heads per kv head");
  check({"qwen3", 4, 4, 64, std::nullopt}, layout, GetParam(), "qwen3 q/k norm, head_dim 64");
}

TEST_P(AttentionKernels, ManyShortPackedSequences) {
  std::vector<int64_t> lengths;
  int64_t total = 0;
  for (int64_t i = 0; i < 48; ++i) {
    lengths.push_back(1 + (i * 7) % 13);
    total += lengths.back();
  }
  const auto layout = AttentionLayout::packed({lengths, {total - 3, 3}}, total + 2);
  check({}, layout, GetParam(), "48 short sequences and a long one");
}

TEST_P(AttentionKernels, PaddedRowsWithWindows) {
  // Left and right padding; the left-padded row's first queries see no key at all.
  const at::Tensor mask = at::tensor({0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1,  //
                                      1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0},
                                     at::kLong)
                              .view({2, 12});
  const auto layout = AttentionLayout::padded(mask);
  check({}, layout, GetParam(), "padded");
  check({"mistral", 4, 2, 16, 4}, layout, GetParam(), "padded, window 4");
  const auto segmented = AttentionLayout::segmented({{{0, 9, -1}, {9, 8, 0}, {17, 6, 0}}}, 23);
  check({"mistral", 4, 1, 16, 5}, segmented, GetParam(), "prefix sharing, window 5");
}

INSTANTIATE_TEST_SUITE_P(Dtypes, AttentionKernels, ::testing::Values(at::kFloat, at::kBFloat16),
                         [](const auto& info) {
                           return info.param == at::kBFloat16 ? "bfloat16" : "float32";
                         });

}  // namespace
}  // namespace wizard::test
