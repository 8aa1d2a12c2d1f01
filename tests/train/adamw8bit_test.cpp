// 8-bit AdamW (bitsandbytes' AdamW8bit): the dynamic code maps, blockwise quantisation, updates
// worked by hand, the fused CPU pass against the ATen op sequence, checkpoints, and (where the
// bitsandbytes package is installed) one update against bitsandbytes itself.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

#include "test_support.hpp"
#include "train/adamw8bit.hpp"
#include "train_test_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/model/safetensors.hpp"
#include "wizard/train/adamw.hpp"

namespace fs = std::filesystem;
using wizard::train::AdamW;
using wizard::train::AdamWKernel;
using wizard::train::AdamWOptions;
namespace q8 = wizard::train::detail;

namespace {

const AdamWOptions k8Bit{/*beta1=*/0.9, /*beta2=*/0.999, /*eps=*/1e-8, /*weight_decay=*/0.01,
                         /*state_bits=*/8};

// The i-th of the n - 1 midpoints of linspace(0.1, 1, n): the fractions create_dynamic_map uses.
double midpoint(int n, int i) {
  const double step = 0.9 / (n - 1);
  return 0.1 + step * (i + 0.5);
}

float code(bool is_signed, int index) {
  return q8::dynamic_map(is_signed)[index].item<float>();
}

std::vector<float> values_of(const at::Tensor& tensor) {
  const at::Tensor flat = tensor.to(at::kFloat).contiguous().view(-1);
  return {flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel()};
}

std::vector<int> codes_of(const at::Tensor& tensor) {
  const at::Tensor flat = tensor.to(at::kInt).contiguous().view(-1);
  return {flat.data_ptr<int>(), flat.data_ptr<int>() + flat.numel()};
}

class EightBitKernels : public ::testing::TestWithParam<AdamWKernel> {};

}  // namespace

TEST(DynamicMap, HoldsBitsandbytesCodes) {
  // Signed: 127 negative codes (indices 0-126), 0 (127), 127 positive (128-254) and 1 (255).
  // Exponent i = 0..6 contributes 2^i codes 10^(i-6) * midpoint(2^i + 1, k).
  const at::Tensor& map = q8::dynamic_map(true);
  ASSERT_EQ(map.numel(), 256);
  EXPECT_TRUE(at::equal(map, std::get<0>(map.sort())));
  EXPECT_FLOAT_EQ(code(true, 0), -midpoint(65, 63));         // -0.99296875
  EXPECT_FLOAT_EQ(code(true, 126), -1e-6 * midpoint(2, 0));  // -5.5e-7
  EXPECT_EQ(code(true, 127), 0.0f);
  EXPECT_FLOAT_EQ(code(true, 128), 1e-6 * midpoint(2, 0));  // 5.5e-7
  EXPECT_FLOAT_EQ(code(true, 129), 1e-5 * midpoint(3, 0));  // 3.25e-6
  EXPECT_FLOAT_EQ(code(true, 201), midpoint(65, 10));       // 0.24765625 (191 + 10)
  EXPECT_FLOAT_EQ(code(true, 219), midpoint(65, 28));       // 0.50078125
  EXPECT_FLOAT_EQ(code(true, 254), midpoint(65, 63));       // 0.99296875
  EXPECT_EQ(code(true, 255), 1.0f);
  // Unsigned: 0, then 2^(i+1) codes 10^(i-6) * midpoint(2^(i+1) + 1, k) per exponent, then 1.
  const at::Tensor& unsigned_map = q8::dynamic_map(false);
  EXPECT_TRUE(at::equal(unsigned_map, std::get<0>(unsigned_map.sort())));
  EXPECT_EQ(code(false, 0), 0.0f);
  EXPECT_FLOAT_EQ(code(false, 1), 1e-6 * midpoint(3, 0));     // 3.25e-7
  EXPECT_FLOAT_EQ(code(false, 2), 1e-6 * midpoint(3, 1));     // 7.75e-7
  EXPECT_FLOAT_EQ(code(false, 100), 0.1 * midpoint(65, 37));  // 0.062734375 (63 + 37)
  EXPECT_FLOAT_EQ(code(false, 128), midpoint(129, 1));        // 0.110546875 (127 + 1)
  EXPECT_FLOAT_EQ(code(false, 148), midpoint(129, 21));       // 0.251171875
  EXPECT_FLOAT_EQ(code(false, 254), midpoint(129, 127));      // 0.996484375
  EXPECT_EQ(code(false, 255), 1.0f);
}

TEST(BlockwiseQuantisation, CodeSearchIsTheBinarySearch) {
  // The fused pass's table-started search against torch.bucketize over the bounds, for every
  // bound, its neighbouring floats, signed zeros, tiny values, +-1 and random values.
  for (bool is_signed : {true, false}) {
    const at::Tensor bounds = q8::dynamic_map_bounds(is_signed);
    std::vector<float> xs = {0.0f, -0.0f, 1.0f, -1.0f, 1e-30f, -1e-30f, 6e-8f, -6e-8f};
    for (float bound : values_of(bounds)) {
      xs.insert(xs.end(), {bound, std::nextafter(bound, 2.0f), std::nextafter(bound, -2.0f)});
    }
    at::manual_seed(1);
    const at::Tensor spread = (at::rand({20000}) * 2 - 1) * at::pow(10.0, -at::rand({20000}) * 8);
    for (float x : values_of(spread)) xs.push_back(x);
    const at::Tensor x = at::tensor(xs).clamp(-1, 1);
    const std::vector<int> expected = codes_of(at::bucketize(x, bounds));
    const auto& search = q8::code_search(is_signed);
    const std::vector<float> clamped = values_of(x);
    for (size_t i = 0; i < clamped.size(); ++i) {
      ASSERT_EQ(search.nearest(clamped[i]), expected[i]) << clamped[i] << " signed " << is_signed;
    }
  }
}

TEST(BlockwiseQuantisation, VectorSearchGivesTheScalarSearchsCodes) {
  // nearest_n (AVX-512 gathers where the processor has them, 16 at a time, then the scalar
  // tail) against the one-at-a-time search, on runs of random length holding the ties (every
  // bound exactly: the lower code), the bounds' neighbouring floats, signed zeros, +-1, values
  // below 2^-24 (a subnormal among them) and random values over eight decades.
  for (bool is_signed : {true, false}) {
    std::vector<float> xs = {0.0f, -0.0f, 1.0f, -1.0f, 1e-40f, -1e-40f, 6e-8f, -6e-8f};
    for (float bound : values_of(q8::dynamic_map_bounds(is_signed))) {
      xs.insert(xs.end(), {bound, std::nextafter(bound, 2.0f), std::nextafter(bound, -2.0f)});
    }
    at::manual_seed(2);
    const at::Tensor spread = (at::rand({5000}) * 2 - 1) * at::pow(10.0, -at::rand({5000}) * 8);
    for (float x : values_of(spread)) xs.push_back(x);
    const at::Tensor order = at::randperm(static_cast<int64_t>(xs.size()));
    std::vector<float> shuffled = values_of(at::tensor(xs).clamp(-1, 1).index_select(0, order));
    const auto& search = q8::code_search(is_signed);
    std::size_t at = 0;
    for (int64_t length : {1, 15, 16, 17, 31, 256, 255, 1000}) {
      for (; at + length <= shuffled.size(); at += length) {
        std::vector<std::uint8_t> vector(length), scalar(length);
        search.nearest_n(shuffled.data() + at, vector.data(), length);
        search.nearest_n_scalar(shuffled.data() + at, scalar.data(), length);
        ASSERT_EQ(vector, scalar) << "run of " << length << " at " << at;
        if (length == 256) break;  // on to the next length
      }
    }
    EXPECT_GT(at, shuffled.size() - 1000);  // (almost) every value searched
    // A tie by hand: the signed map's codes 127 (0) and 128 (the smallest positive code, c)
    // have the bound c / 2; exactly c / 2 takes the lower code, the next float up the upper.
    if (is_signed) {
      const float half = q8::dynamic_map_bounds(true)[127].item<float>();
      EXPECT_EQ(half, code(true, 128) / 2);
      std::vector<float> tie(16, half);
      tie[1] = std::nextafter(half, 1.0f);
      std::vector<std::uint8_t> got(16);
      search.nearest_n(tie.data(), got.data(), 16);
      EXPECT_EQ(got[0], 127);
      EXPECT_EQ(got[1], 128);
    }
  }
}

TEST(BlockwiseQuantisation, NearestCodeOfValueOverBlockAbsmax) {
  // Block 0 (256 values): 1.5, -3, 0, 0.75 and zeros: absmax 3, scaled 0.5, -1, 0, 0.25.
  // Nearest signed codes: 0.5 -> 0.50078125 (219; 0.48671875 is farther), -1 -> -0.99296875 (0),
  // 0 -> 127, 0.25 -> 0.24765625 (201; 0.26171875 is farther). Block 1 (4 values): absmax 0.2.
  at::Tensor values = at::zeros({260});
  values.slice(0, 0, 4).copy_(at::tensor({1.5f, -3.0f, 0.0f, 0.75f}));
  values.slice(0, 256, 260).copy_(at::tensor({0.2f, -0.1f, 0.05f, 0.0f}));
  at::Tensor codes = at::empty({260}, at::kByte);
  at::Tensor absmax = at::empty({2});
  q8::quantize_blockwise(values, true, codes, absmax);
  EXPECT_EQ(values_of(absmax), (std::vector<float>{3.0f, 0.2f}));
  const std::vector<int> c = codes_of(codes);
  EXPECT_EQ(std::vector<int>(c.begin(), c.begin() + 5), (std::vector<int>{219, 0, 127, 201, 127}));
  // 1 -> 1.0 (255), -0.5 -> 219's negative (254 - 219 = 35), 0.25 -> 201, 0 -> 127.
  EXPECT_EQ(std::vector<int>(c.begin() + 256, c.end()), (std::vector<int>{255, 35, 201, 127}));
  const std::vector<float> back = values_of(q8::dequantize_blockwise(codes, absmax, true));
  EXPECT_FLOAT_EQ(back[0], 3.0f * 0.50078125f);
  EXPECT_FLOAT_EQ(back[1], 3.0f * -0.99296875f);
  EXPECT_EQ(back[2], 0.0f);
  EXPECT_FLOAT_EQ(back[3], 3.0f * 0.24765625f);
  EXPECT_FLOAT_EQ(back[256], 0.2f);
  EXPECT_FLOAT_EQ(back[257], 0.2f * -0.50078125f);

  // Unsigned: 0.25 -> 0.251171875 (148), 1 -> 255, 0 -> 0, 0.0625 -> 0.062734375 (100).
  at::Tensor squares = at::tensor({0.25f, 1.0f, 0.0f, 0.0625f});
  at::Tensor unsigned_codes = at::empty({4}, at::kByte);
  at::Tensor unsigned_absmax = at::empty({1});
  q8::quantize_blockwise(squares, false, unsigned_codes, unsigned_absmax);
  EXPECT_EQ(codes_of(unsigned_codes), (std::vector<int>{148, 255, 0, 100}));
  // An all-zero block has absmax 0 and dequantises to zeros.
  q8::quantize_blockwise(at::zeros({4}), false, unsigned_codes, unsigned_absmax);
  EXPECT_EQ(unsigned_absmax.item<float>(), 0.0f);
  EXPECT_EQ(values_of(q8::dequantize_blockwise(unsigned_codes, unsigned_absmax, false)),
            (std::vector<float>(4, 0.0f)));
}

TEST_P(EightBitKernels, TwoStepsByHand) {
  // 4096 elements (the smallest that gets 8-bit state); only the first four have gradients.
  // lr 0.1, betas (0.9, 0.999), eps 1e-8, weight_decay 0.01.
  at::Tensor p = at::zeros({4096});
  p.slice(0, 0, 4).copy_(at::tensor({1.0f, -1.0f, 0.5f, 0.0f}));
  p.set_requires_grad(true);
  AdamW optimizer({{"layer.weight", p}}, k8Bit, GetParam());
  const auto set_grad = [&](std::vector<float> first) {
    at::Tensor g = at::zeros({4096});
    g.slice(0, 0, 4).copy_(at::tensor(first));
    p.mutable_grad() = g;
  };

  // Step 1, g = (0.5, -1, 0, 0.25): m = 0.1 g, v = 0.001 g^2, so m_hat / sqrt(v_hat) = sign(g):
  //   p = p * 0.999 - 0.1 * sign(g)  (up to eps)
  // State: m = (0.05, -0.1, 0, 0.025) -> absmax 0.1, scaled (0.5, -1, 0, 0.25), codes
  // (219, 0, 127, 201); v = (2.5e-4, 1e-3, 0, 6.25e-5) -> absmax 1e-3, scaled (0.25, 1, 0,
  // 0.0625), codes (148, 255, 0, 100). Elements without gradient: m = v = 0, p stays 0.
  set_grad({0.5f, -1.0f, 0.0f, 0.25f});
  optimizer.step(0.1);
  const AdamW::Slot& slot = optimizer.slots()[0];
  ASSERT_TRUE(slot.eight_bit());
  EXPECT_EQ(slot.exp_avg.scalar_type(), at::kByte);
  EXPECT_EQ(slot.exp_avg_absmax.numel(), 16);
  const std::vector<float> p1 = values_of(p.slice(0, 0, 5));
  EXPECT_NEAR(p1[0], 0.999 - 0.1, 1e-7);
  EXPECT_NEAR(p1[1], -0.999 + 0.1, 1e-7);
  EXPECT_NEAR(p1[2], 0.4995, 1e-7);
  EXPECT_NEAR(p1[3], -0.1, 1e-7);
  EXPECT_EQ(p1[4], 0.0f);
  EXPECT_FLOAT_EQ(slot.exp_avg_absmax[0].item<float>(), 0.1f);
  EXPECT_FLOAT_EQ(slot.exp_avg_sq_absmax[0].item<float>(), 1e-3f);
  EXPECT_EQ(slot.exp_avg_absmax[1].item<float>(), 0.0f);
  EXPECT_EQ(codes_of(slot.exp_avg.slice(0, 0, 5)), (std::vector<int>{219, 0, 127, 201, 127}));
  EXPECT_EQ(codes_of(slot.exp_avg_sq.slice(0, 0, 5)), (std::vector<int>{148, 255, 0, 100, 0}));

  // Step 2, g = (-0.25, 0.5, 0.1, 0), from the dequantised moments:
  //   m = 0.9 * code * 0.1 + 0.1 g;  v = 0.999 * code * 1e-3 + 0.001 g^2
  //   p = p * 0.999 - 0.1 / (1 - 0.9^2) * m / (sqrt(v) / sqrt(1 - 0.999^2) + 1e-8)
  set_grad({-0.25f, 0.5f, 0.1f, 0.0f});
  optimizer.step(0.1);
  const double g[4] = {-0.25, 0.5, 0.1, 0.0};
  const double m_code[4] = {midpoint(65, 28), -midpoint(65, 63), 0.0, midpoint(65, 10)};
  const double v_code[4] = {midpoint(129, 21), 1.0, 0.0, 0.1 * midpoint(65, 37)};
  const std::vector<float> p2 = values_of(p.slice(0, 0, 4));
  double m_max = 0;
  for (int i = 0; i < 4; ++i) {
    const double m = 0.9 * m_code[i] * 0.1 + 0.1 * g[i];
    const double v = 0.999 * v_code[i] * 1e-3 + 0.001 * g[i] * g[i];
    const double expected =
        p1[i] * 0.999 - 0.1 / (1 - 0.81) * m / (std::sqrt(v) / std::sqrt(1 - 0.998001) + 1e-8);
    EXPECT_NEAR(p2[i], expected, 2e-6) << i;
    m_max = std::max(m_max, std::abs(m));
  }
  // m = (0.02007, -0.03937, 0.01, 0.02229): absmax 0.03937 at element 1, whose code is then -1's
  // nearest (0); v's largest is element 1's 0.001249 (code 255).
  EXPECT_NEAR(slot.exp_avg_absmax[0].item<double>(), m_max, 1e-8);
  EXPECT_NEAR(slot.exp_avg_sq_absmax[0].item<double>(), 0.999e-3 + 0.25e-3, 1e-9);
  EXPECT_EQ(slot.exp_avg[1].item<int>(), 0);
  EXPECT_EQ(slot.exp_avg_sq[1].item<int>(), 255);
}

TEST_P(EightBitKernels, SmallParametersKeepFloat32State) {
  // bitsandbytes' min_8bit_size: below 4096 elements the moments stay float32.
  const at::Tensor small = at::ones({4095}).set_requires_grad(true);
  const at::Tensor large = at::ones({4096}).set_requires_grad(true);
  AdamW optimizer({{"a.weight", small}, {"b.weight", large}}, k8Bit, GetParam());
  small.mutable_grad() = at::ones({4095});
  large.mutable_grad() = at::ones({4096});
  optimizer.step(0.1);
  EXPECT_FALSE(optimizer.slots()[0].eight_bit());
  EXPECT_EQ(optimizer.slots()[0].exp_avg.scalar_type(), at::kFloat);
  EXPECT_TRUE(optimizer.slots()[1].eight_bit());
}

INSTANTIATE_TEST_SUITE_P(Kernels, EightBitKernels,
                         ::testing::Values(AdamWKernel::fused_cpu, AdamWKernel::aten),
                         [](const auto& info) {
                           return info.param == AdamWKernel::aten ? "aten" : "fused";
                         });

TEST(EightBitAdamW, FusedPassMatchesTheAtenOps) {
  // Five steps of random gradients on float32 and bfloat16 (split master) parameters with a
  // partial last block, both paths side by side. They round differently only where torch
  // fuses a multiply-add, so codes agree but for rare ties and parameters to float rounding.
  for (auto dtype : {at::kFloat, at::kBFloat16}) {
    at::manual_seed(11);
    const at::Tensor initial = at::randn({5000}).to(dtype);
    const at::Tensor p_fused = initial.clone().set_requires_grad(true);
    const at::Tensor p_aten = initial.clone().set_requires_grad(true);
    AdamW fused({{"w.weight", p_fused}}, k8Bit, AdamWKernel::fused_cpu);
    AdamW aten({{"w.weight", p_aten}}, k8Bit, AdamWKernel::aten);
    bool codes_differed = false;
    for (int step = 1; step <= 5; ++step) {
      const at::Tensor g = at::randn({5000}).mul(0.01).to(dtype);
      p_fused.mutable_grad() = g.clone();
      p_aten.mutable_grad() = g.clone();
      fused.step(1e-2);
      aten.step(1e-2);
      const AdamW::Slot& a = fused.slots()[0];
      const AdamW::Slot& b = aten.slots()[0];
      // A code one off (a tie rounded the other way) moves later updates by up to ~1% of lr.
      const double tolerance = codes_differed ? 1e-4 : 1e-6;
      EXPECT_LT((a.master_weights() - b.master_weights()).abs().max().item<double>(), tolerance)
          << dtype << " step " << step;
      const int64_t differing = (a.exp_avg != b.exp_avg).sum().item<int64_t>() +
                                (a.exp_avg_sq != b.exp_avg_sq).sum().item<int64_t>();
      EXPECT_LE(differing, 2) << dtype << " step " << step;
      codes_differed = codes_differed || differing > 0;
      EXPECT_TRUE(at::allclose(a.exp_avg_absmax, b.exp_avg_absmax, 1e-6, 0));
      EXPECT_TRUE(at::allclose(a.exp_avg_sq_absmax, b.exp_avg_sq_absmax, 1e-6, 0));
    }
  }
}

TEST(EightBitAdamW, StateRoundTripsThroughACheckpointExactly) {
  at::manual_seed(5);
  const at::Tensor initial = at::randn({64, 80}).to(at::kBFloat16);
  const auto make = [&](at::Tensor& p) {
    p = initial.clone().set_requires_grad(true);
    return AdamW({{"w.weight", p}}, k8Bit);
  };
  at::Tensor p_a, p_b;
  AdamW a = make(p_a);
  for (int s = 0; s < 3; ++s) {
    p_a.mutable_grad() = at::randn({64, 80}).to(at::kBFloat16);
    a.step(1e-2);
  }
  const fs::path file = wizard::test::temp_dir("adamw8bit-state") / "optimizer.safetensors";
  wizard::safetensors::save(file, a.state_tensors());
  const auto saved = wizard::safetensors::File::open(file);
  EXPECT_EQ(saved.info("exp_avg.w.weight").dtype, at::kByte);
  EXPECT_EQ(saved.info("exp_avg_sq_absmax.w.weight").shape, (std::vector<int64_t>{20}));
  AdamW b = make(p_b);
  b.load_state(saved);
  const at::Tensor g = at::randn({64, 80}).to(at::kBFloat16);
  p_a.mutable_grad() = g.clone();
  p_b.mutable_grad() = g.clone();
  a.step(1e-2);
  b.step(1e-2);
  EXPECT_TRUE(at::equal(p_a, p_b));
  EXPECT_TRUE(at::equal(a.slots()[0].master_weights(), b.slots()[0].master_weights()));
  EXPECT_TRUE(at::equal(a.slots()[0].exp_avg, b.slots()[0].exp_avg));
  EXPECT_TRUE(at::equal(a.slots()[0].exp_avg_sq_absmax, b.slots()[0].exp_avg_sq_absmax));
}

TEST(EightBitAdamW, RefusesAStateOfTheOtherWidth) {
  const at::Tensor p = at::ones({4096}).set_requires_grad(true);
  AdamW full({{"w.weight", p}}, AdamWOptions{});
  p.mutable_grad() = at::ones({4096});
  full.step(0.1);
  const fs::path file = wizard::test::temp_dir("adamw8bit-width") / "optimizer.safetensors";
  wizard::safetensors::save(file, full.state_tensors());
  AdamW eight({{"w.weight", p}}, k8Bit);
  wizard::test::expect_throw_with<wizard::Error>(
      [&] { eight.load_state(wizard::safetensors::File::open(file)); },
      {"exp_avg.w.weight", "F32", "8-bit", "resume with the optim"});
  EXPECT_THROW(AdamW({{"w.weight", p}}, AdamWOptions{0.9, 0.999, 1e-8, 0, 4}), wizard::Error);
}

namespace {

// The interpreter with bitsandbytes: $WIZARD_BNB_PYTHON, else the checkout's .venv.
std::string bnb_python() {
  if (const char* chosen = std::getenv("WIZARD_BNB_PYTHON")) return chosen;
  return (wizard::test::source_dir() / ".venv" / "bin" / "python").string();
}

std::vector<float> floats(const nlohmann::json& values) {
  return values.get<std::vector<float>>();
}

}  // namespace

TEST(EightBitAdamW, OneUpdateMatchesBitsandbytes) {
  const std::string python = bnb_python();
  if (std::system((python + " -c 'import bitsandbytes' >/dev/null 2>&1").c_str()) != 0) {
    GTEST_SKIP() << "bitsandbytes is not installed for " << python
                 << " (set WIZARD_BNB_PYTHON to an interpreter that has it)";
  }
  // One step from a non-zero 8-bit state (a first step's), so that dequantising, the update
  // and re-quantising all count; 2 full blocks and a partial one.
  const int64_t n = 2 * 256 + 100 + 4096;
  at::manual_seed(3);
  const at::Tensor p = at::randn({n}).set_requires_grad(true);
  const AdamWOptions options{0.9, 0.999, 1e-8, 0.01, 8};
  AdamW optimizer({{"w.weight", p}}, options, AdamWKernel::fused_cpu);
  p.mutable_grad() = at::randn({n}) * 0.01;
  optimizer.step(1e-2);
  const AdamW::Slot& slot = optimizer.slots()[0];
  nlohmann::json spec = {{"lr", 1e-2},
                         {"beta1", 0.9},
                         {"beta2", 0.999},
                         {"eps", 1e-8},
                         {"weight_decay", 0.01},
                         {"step", 2},
                         {"parameter", values_of(p)},
                         {"state1", codes_of(slot.exp_avg)},
                         {"absmax1", values_of(slot.exp_avg_absmax)},
                         {"state2", codes_of(slot.exp_avg_sq)},
                         {"absmax2", values_of(slot.exp_avg_sq_absmax)}};
  const at::Tensor gradient = at::randn({n}) * 0.02;
  spec["gradient"] = values_of(gradient);
  const at::Tensor m_before = q8::dequantize_blockwise(slot.exp_avg, slot.exp_avg_absmax, true);
  const at::Tensor v_before =
      q8::dequantize_blockwise(slot.exp_avg_sq, slot.exp_avg_sq_absmax, false);

  const fs::path dir = wizard::test::temp_dir("bnb-step");
  std::ofstream(dir / "in.json") << spec.dump();
  const std::string command = python + " " + WIZARD_BNB_SCRIPT + " '" + (dir / "in.json").string() +
                              "' > '" + (dir / "out.json").string() + "' 2>'" +
                              (dir / "err.txt").string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << wizard::test::read_text(dir / "err.txt");
  const nlohmann::json out = wizard::test::read_json(dir / "out.json");

  p.mutable_grad() = gradient.clone();
  optimizer.step(1e-2);
  // Same maps, same parameter to float rounding (bitsandbytes runs torch's ops), same absmax.
  EXPECT_EQ(floats(out["qmap1"]), values_of(q8::dynamic_map(true)));
  EXPECT_EQ(floats(out["qmap2"]), values_of(q8::dynamic_map(false)));
  const at::Tensor bnb_p = at::tensor(floats(out["parameter"]));
  EXPECT_LT((bnb_p - p.detach()).abs().max().item<double>(), 1e-6);
  EXPECT_LT((at::tensor(floats(out["absmax1"])) - slot.exp_avg_absmax).abs().max().item<double>(),
            1e-9);
  EXPECT_LT(
      (at::tensor(floats(out["absmax2"])) - slot.exp_avg_sq_absmax).abs().max().item<double>(),
      1e-11);
  // bitsandbytes' CPU backend quantises through a 65536-entry lookup table (csrc/cpu_ops.cpp),
  // which near zero can pick a code next to the nearest; wizard picks the nearest, as
  // bitsandbytes' CUDA kernel does. So every wizard code is at least as near to the exact
  // moment as bitsandbytes', and most codes are the same.
  const at::Tensor g = gradient;
  const at::Tensor m_exact = m_before * 0.9 + g * 0.1;
  const at::Tensor v_exact = v_before * 0.999 + g * g * 0.001;
  const auto codes_tensor = [&](const char* key) {
    return at::tensor(out[key].get<std::vector<int>>()).to(at::kByte);
  };
  const at::Tensor bnb_m =
      q8::dequantize_blockwise(codes_tensor("state1"), slot.exp_avg_absmax, true);
  const at::Tensor bnb_v =
      q8::dequantize_blockwise(codes_tensor("state2"), slot.exp_avg_sq_absmax, false);
  const at::Tensor m = q8::dequantize_blockwise(slot.exp_avg, slot.exp_avg_absmax, true);
  const at::Tensor v = q8::dequantize_blockwise(slot.exp_avg_sq, slot.exp_avg_sq_absmax, false);
  EXPECT_TRUE(((m - m_exact).abs() <= (bnb_m - m_exact).abs() + 1e-9).all().item<bool>());
  EXPECT_TRUE(((v - v_exact).abs() <= (bnb_v - v_exact).abs() + 1e-12).all().item<bool>());
  EXPECT_GT((codes_tensor("state1") == slot.exp_avg).sum().item<int64_t>(), n * 99 / 100);
  EXPECT_GT((codes_tensor("state2") == slot.exp_avg_sq).sum().item<int64_t>(), n * 9 / 10);
}
