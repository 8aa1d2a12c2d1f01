// wizard's forward pass against the logits transformers computed for every golden model and
// every batch (padded layout, float32), and the bfloat16 logits within a loose bound.
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include <functional>

#include "model/kernels_cpu_ops.hpp"
#include "model_test_support.hpp"
#include "test_device.hpp"
#include "wizard/model/causal_lm.hpp"

namespace wizard::test {
namespace {

using model::AttentionLayout;
using model::CausalLM;

// refs/README.md: float32 logits, atol 1e-4 (wider on GPUs: test_device.hpp)
const double kLogitTolerance = device_tolerance(1e-4);

class GoldenForward : public ::testing::TestWithParam<std::string> {};

at::Tensor padded_logits(const CausalLM& model, const GoldenModel& golden,
                         const std::string& batch) {
  const at::Tensor mask = golden.get(batch, "attention_mask");
  const at::Tensor hidden =
      model.forward(golden.get(batch, "input_ids"), golden.get(batch, "position_ids"),
                    AttentionLayout::padded(mask));
  return model.lm_head(hidden);
}

// Runs `check` on the float32-cast logits of every batch that has bf16 reference logits.
void for_each_bf16_batch(
    const CausalLM& model, const GoldenModel& golden,
    const std::function<void(const std::string&, const at::Tensor&, const at::Tensor&)>& check) {
  at::NoGradGuard no_grad;
  int checked = 0;
  for (const std::string& batch : golden.batches()) {
    if (!golden.has(batch, "logits_bf16")) continue;
    SCOPED_TRACE("batch " + batch);
    check(batch, padded_logits(model, golden, batch).to(at::kFloat),
          golden.get(batch, "attention_mask"));
    ++checked;
  }
  if (checked == 0) GTEST_SKIP() << "no bf16 reference logits in this set";
}

TEST_P(GoldenForward, Float32LogitsMatchTransformersInEveryBatch) {
  const GoldenModel golden(GetParam());
  // Checkpoints stored in another dtype (qwen3_qknorm_bf16) are upcast exactly on load.
  const CausalLM model = CausalLM::from_pretrained(golden.dir, at::kFloat, test_device());
  ASSERT_EQ(model.dtype(), at::kFloat);
  at::NoGradGuard no_grad;
  for (const std::string& batch : golden.batches()) {
    SCOPED_TRACE("batch " + batch);
    const at::Tensor logits = padded_logits(model, golden, batch);
    const at::Tensor expected = golden.get(batch, "logits");
    ASSERT_EQ(logits.sizes(), expected.sizes());
    const double error = max_abs_error_at(logits, expected, golden.get(batch, "attention_mask"));
    EXPECT_LE(error, kLogitTolerance);
    RecordProperty(batch + "_max_abs_error", std::to_string(error));
  }
}

// By default the rotary frequencies stay float32 (as from_pretrained(torch_dtype=bfloat16)
// leaves them), so wizard's bf16 logits are a different, slightly more accurate bf16
// approximation of the float32 ones and cannot equal the reference bit for bit. bf16 keeps
// 8 significant bits: logits up to ~13 are rounded to multiples of 1/16, and every layer
// rounds its activations again; the reference bf16 run is 0.12-0.23 from float32
// (index.json checks) and refs/README.md bounds that gap by 0.25. A correct bf16 run thus
// stays within 0.35 (about five final-rounding steps) of float32 and of transformers' bf16.
// This bound catches gross errors (masking, positions, a wrong weight); subtle bf16
// rounding errors are the exact test's job above.
TEST_P(GoldenForward, BFloat16LogitsStayCloseToFloat32AndTransformersBFloat16) {
  constexpr double kBFloat16Tolerance = 0.35;
  const GoldenModel golden(GetParam());
  const CausalLM model = CausalLM::from_pretrained(golden.dir, at::kBFloat16, test_device());
  for_each_bf16_batch(
      model, golden,
      [&](const std::string& batch, const at::Tensor& logits, const at::Tensor& mask) {
        EXPECT_LE(max_abs_error_at(logits, golden.get(batch, "logits_bf16"), mask),
                  kBFloat16Tolerance);
        EXPECT_LE(max_abs_error_at(logits, golden.get(batch, "logits"), mask), kBFloat16Tolerance);
      });
}

INSTANTIATE_TEST_SUITE_P(Refs, GoldenForward, ::testing::ValuesIn(golden_model_names()),
                         [](const auto& info) { return parameter_name(info.param); });

}  // namespace
}  // namespace wizard::test
