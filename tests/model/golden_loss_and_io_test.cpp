// The model's own loss against transformers' (labels -100 ignored, shifted by one), and
// save_pretrained -> from_pretrained round trips of every golden checkpoint.
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include "model_test_support.hpp"
#include "test_device.hpp"
#include "test_support.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/model/safetensors.hpp"

namespace wizard::test {
namespace {

using model::AttentionLayout;
using model::CausalLM;

class GoldenLossAndIo : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenLossAndIo, LossFromLabelsMatchesTransformers) {
  const GoldenModel golden(GetParam());
  const CausalLM model = CausalLM::from_pretrained(golden.dir, at::kFloat, test_device());
  at::NoGradGuard no_grad;
  int checked = 0;
  for (const std::string& batch : golden.batches()) {
    if (!golden.has(batch, "loss") || !golden.has(batch, "labels")) continue;
    SCOPED_TRACE("batch " + batch);
    const at::Tensor loss = model.loss(
        golden.get(batch, "input_ids"), golden.get(batch, "position_ids"),
        AttentionLayout::padded(golden.get(batch, "attention_mask")), golden.get(batch, "labels"));
    // A mean of float32 cross entropies of size ~10: float32 rounding of the logits (<1e-5
    // each, see the logits test) bounds the difference well below 1e-4.
    EXPECT_NEAR(loss.item<double>(), golden.get(batch, "loss").item<double>(),
                device_tolerance(1e-4));
    ++checked;
  }
  if (checked == 0) GTEST_SKIP() << "no batch with a reference loss in this set";
}

// Saving writes transformers' layout (the same tensor names as the original checkpoint, so
// no lm_head.weight for tied models) and the original config; loading it back gives the
// same parameters bit for bit, in float32 and in the checkpoint's own dtype, from and to the
// test device.
TEST_P(GoldenLossAndIo, SavePretrainedRoundTripsBitIdentically) {
  const GoldenModel golden(GetParam());
  const auto stored = model::dtype_from_name(golden.reference.at("checkpoint_dtype"));
  for (at::ScalarType dtype : {at::kFloat, stored}) {
    SCOPED_TRACE(c10::toString(dtype));
    const CausalLM original = CausalLM::from_pretrained(golden.dir, dtype, test_device());
    const auto folder = temp_dir("model-roundtrip");
    original.save_pretrained(folder);
    EXPECT_EQ(safetensors::Checkpoint::open(folder).names(),
              safetensors::Checkpoint::open(golden.dir).names());
    auto expected_config = read_json(golden.dir / "config.json");
    expected_config["torch_dtype"] = model::dtype_name_of(dtype);
    EXPECT_EQ(read_json(folder / "config.json"), expected_config);
    EXPECT_EQ(read_json(folder / "generation_config.json"),
              read_json(golden.dir / "generation_config.json"));

    const CausalLM loaded = CausalLM::from_pretrained(folder, dtype, test_device());
    const auto before = original.named_parameters();
    const auto after = loaded.named_parameters();
    ASSERT_EQ(before.size(), after.size());
    for (std::size_t i = 0; i < before.size(); ++i) {
      EXPECT_EQ(before[i].first, after[i].first);
      EXPECT_EQ(after[i].second.scalar_type(), dtype);
      EXPECT_TRUE(at::equal(before[i].second, after[i].second)) << before[i].first;
    }
    std::filesystem::remove_all(folder);
  }
}

INSTANTIATE_TEST_SUITE_P(Refs, GoldenLossAndIo, ::testing::ValuesIn(golden_model_names()),
                         [](const auto& info) { return parameter_name(info.param); });

}  // namespace
}  // namespace wizard::test
