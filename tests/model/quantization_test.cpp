// 4-bit frozen base weights (wizard/model/quantization.hpp): bitsandbytes' code values, the
// round trip's error within what the codes allow, the 8-bit absmax of double quantisation, the
// CPU kernel against the ATen path, and the gradient through a quantised layer.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "model_test_support.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/model/lora.hpp"
#include "wizard/model/quantization.hpp"

namespace wizard::test {
namespace {

using model::FourBitOptions;
using model::FourBitType;

// Half the widest gap between neighbouring code values: the largest error, in units of the
// block's absolute maximum, of rounding to the nearest code.
double half_widest_gap(FourBitType type) {
  const at::Tensor sorted = std::get<0>(model::four_bit_code_values(type).sort());
  return (sorted.narrow(0, 1, 15) - sorted.narrow(0, 0, 15)).max().item<double>() / 2;
}

TEST(FourBit, CodeValuesAreBitsandbytesPublishedOnes) {
  const at::Tensor nf4 = model::four_bit_code_values(FourBitType::nf4);
  EXPECT_FLOAT_EQ(nf4[0].item<float>(), -1.0f);
  EXPECT_FLOAT_EQ(nf4[1].item<float>(), -0.6961928009986877f);
  EXPECT_FLOAT_EQ(nf4[7].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(nf4[8].item<float>(), 0.07958029955625534f);
  EXPECT_FLOAT_EQ(nf4[14].item<float>(), 0.7229568362236023f);
  EXPECT_FLOAT_EQ(nf4[15].item<float>(), 1.0f);
  // NF4's widest gap is between -1 and -0.696: half of it 0.1519.
  EXPECT_NEAR(half_widest_gap(FourBitType::nf4), 0.15190, 1e-4);
  const at::Tensor fp4 = model::four_bit_code_values(FourBitType::fp4);
  EXPECT_FLOAT_EQ(fp4[3].item<float>(), 1.0f);           // 0b0011
  EXPECT_FLOAT_EQ(fp4[1].item<float>(), 0.0052083333f);  // 0b0001, the subnormal
  EXPECT_FLOAT_EQ(fp4[14].item<float>(), -0.16666667f);  // 0b1110
  EXPECT_FLOAT_EQ(fp4[15].item<float>(), -0.25f);        // 0b1111
}

TEST(FourBit, TheDynamicMapIsBitsandbytesSigned8BitCode) {
  const at::Tensor map = model::dynamic_code_map();
  ASSERT_EQ(map.numel(), 256);
  EXPECT_FLOAT_EQ(map[255].item<float>(), 1.0f);
  // The smallest exponent's one fraction: mean(0.1, 1) * 10^-6 = 0.55e-6, both signs.
  EXPECT_NEAR(map[128].item<float>(), 0.55e-6, 1e-12);
  EXPECT_NEAR(map[126].item<float>(), -0.55e-6, 1e-12);
  EXPECT_EQ(map[127].item<float>(), 0.0f);
  // The largest magnitude below 1: the last midpoint of linspace(0.1, 1, 65) = 0.99296875.
  EXPECT_NEAR(map[254].item<float>(), 0.99296875, 1e-6);
  EXPECT_NEAR(map[0].item<float>(), -0.99296875, 1e-6);
}

TEST(FourBit, ValuesOnTheCodeRoundTripExactly) {
  // One block of 64: absmax 2, every NF4 value times 2, four times over.
  const at::Tensor w =
      (model::four_bit_code_values(FourBitType::nf4) * 2).repeat({4}).view({4, 16});
  const model::QuantizedWeight q = model::quantize_4bit(w, {});
  EXPECT_EQ(q.packed.numel(), 32);
  EXPECT_FLOAT_EQ(q.absmax[0].item<float>(), 2.0f);
  EXPECT_TRUE(at::equal(model::dequantize(q, at::kFloat), w));
}

// Each value is off by at most half the widest gap times its block's absolute maximum (the
// nearest code); with double quantisation the maximum itself carries the 8-bit code's error
// (its largest relative step, 1/64 near 1, times the 256-block's scale). On N(0, 1) the mean
// error stays below 0.1, bitsandbytes' own test bound for block 64.
TEST(FourBit, RoundTripErrorStaysWithinWhatTheCodesAllow) {
  at::manual_seed(0);
  const at::Tensor w = at::randn({256, 320});
  for (FourBitType type : {FourBitType::nf4, FourBitType::fp4}) {
    for (bool double_quant : {false, true}) {
      FourBitOptions options;
      options.type = type;
      options.double_quant = double_quant;
      const model::QuantizedWeight q = model::quantize_4bit(w, options);
      const at::Tensor back = model::dequantize(q, at::kFloat);
      const at::Tensor absmax = w.reshape({-1, 64}).abs().amax(1, true);
      const at::Tensor error = (back - w).abs().reshape({-1, 64});
      const double slack = double_quant ? 0.04 : 1e-6;  // |absmax error| / absmax <= 1/64 + ...
      const at::Tensor bound = absmax * (half_widest_gap(type) + slack);
      EXPECT_TRUE(error.le(bound).all().item<bool>())
          << (type == FourBitType::nf4 ? "nf4" : "fp4") << " double_quant " << double_quant;
      const double mean = error.mean().item<double>();
      EXPECT_LT(mean, 0.1);
      if (type == FourBitType::nf4) {
        EXPECT_GT(mean, 0.03);  // 4 bits do lose something
      }
      EXPECT_EQ(q.absmax_codes.defined(), double_quant);
    }
  }
}

TEST(FourBit, TheCpuKernelMatchesTheAtenPathAndOddSizesArePadded) {
  at::manual_seed(1);
  const at::Tensor w = at::randn({7, 50});  // 350 values: 6 blocks, the last one short
  const model::QuantizedWeight q = model::quantize_4bit(w, {});
  const at::Tensor kernel = model::dequantize(q, at::kFloat);
  const at::Tensor bf16 = model::dequantize(q, at::kBFloat16);
  const at::Tensor aten = model::dequantize(q, at::kDouble).to(at::kFloat);  // the ATen path
  EXPECT_EQ(kernel.sizes(), w.sizes());
  EXPECT_TRUE(at::allclose(kernel, aten, 0, 1e-6));
  EXPECT_TRUE(at::equal(bf16, aten.to(at::kBFloat16)));
}

TEST(FourBit, QuantisedLayersTrainTheirAdaptersWithTheDequantisedWeightsGradient) {
  model::InitModelOptions init;
  init.initializer_range = 0.2;
  const auto folder = init_model_folder(init, "qlora");
  auto run = [&](bool quantised) {
    model::CausalLM model = model::CausalLM::from_pretrained(folder, at::kFloat);
    FourBitOptions four_bit;
    four_bit.compute_dtype = at::kFloat;
    if (quantised) {
      model::quantize_base_weights(model, four_bit);
    } else {
      // The same dequantised weights as plain tensors.
      at::NoGradGuard no_grad;
      for (auto& layer : model.mutable_weights().layers) {
        for (const model::LayerLinear& linear : model::layer_linears(layer)) {
          linear.weight.copy_(
              model::dequantize(model::quantize_4bit(linear.weight, four_bit), at::kFloat));
        }
      }
    }
    model::LoraOptions lora;
    lora.r = 2;
    lora.lora_dropout = 0;
    model::add_lora(model, lora, 5);
    const at::Tensor ids = at::arange(1, 13, at::kLong).view({2, 6});
    const auto layout = model::AttentionLayout::padded(at::ones_like(ids));
    const at::Tensor loss = model.loss(ids, layout.position_ids(), layout, ids);
    loss.backward();
    const auto params = model::lora_parameters(model, lora);
    // params[1]: the first B (A's gradient is zero while B is).
    return std::make_pair(loss.item<double>(), params[1].second.grad().clone());
  };
  const auto [quantised_loss, quantised_grad] = run(true);
  const auto [plain_loss, plain_grad] = run(false);
  EXPECT_NEAR(quantised_loss, plain_loss, 1e-5);
  EXPECT_TRUE(at::allclose(quantised_grad, plain_grad, 1e-4, 1e-6));
}

}  // namespace
}  // namespace wizard::test
