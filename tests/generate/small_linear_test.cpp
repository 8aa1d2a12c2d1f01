// The decoding path's bfloat16 products for a few tokens (model/gemv_cpu.hpp) against a float64
// reference: float32 sums of exact bfloat16 products, rounded once, land on the exactly rounded
// bfloat16 value or a neighbour (one step is at most 2^-7 relative), give or take the float32
// sums' own error where products cancel (1e-3 for sums of up to 896 products of N(0,1)).
#include <gtest/gtest.h>

#include "model/gemv_cpu.hpp"

namespace wizard::model::cpu {
namespace {

// x W^T + b in float64 from the bfloat16 values, then rounded to bfloat16.
at::Tensor reference(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  at::Tensor out = at::matmul(x.to(at::kDouble), w.to(at::kDouble).t());
  if (b.defined()) out = out + b.to(at::kDouble);
  return out.to(at::kBFloat16);
}

// Whether this CPU runs the kernel (AVX-512 BF16).
bool available() {
  return small_linear_applies(at::zeros({1, 32}, at::kBFloat16), at::zeros({8, 32}, at::kBFloat16),
                              {});
}

TEST(SmallLinear, EqualsTheRoundedExactProductForEveryTileShape) {
  for (const int64_t tokens : {1, 2, 3, 4, 5, 8, 16}) {
    for (const int64_t k : {32, 40, 896}) {
      for (const int64_t n : {1, 7, 9, 130}) {
        for (const bool with_bias : {false, true}) {
          SCOPED_TRACE(std::to_string(tokens) + " tokens, k " + std::to_string(k) + ", n " +
                       std::to_string(n) + (with_bias ? ", bias" : ""));
          const at::Tensor x = at::randn({tokens, k}).to(at::kBFloat16);
          const at::Tensor w = at::randn({n, k}).to(at::kBFloat16);
          const at::Tensor b = with_bias ? at::randn({n}).to(at::kBFloat16) : at::Tensor();
          const at::Tensor got = available() ? small_linear(x, w, b) : decode_linear(x, w, b);
          ASSERT_EQ(got.sizes(), (std::vector<int64_t>{tokens, n}));
          ASSERT_EQ(got.scalar_type(), at::kBFloat16);
          const at::Tensor expected = reference(x, w, b).to(at::kFloat);
          const at::Tensor error = (got.to(at::kFloat) - expected).abs();
          const at::Tensor allowed = expected.abs() * (1.0 / 128) + 1e-3;
          EXPECT_TRUE(error.le(allowed).all().item<bool>())
              << "largest error " << error.max().item<float>();
        }
      }
    }
  }
}

TEST(SmallLinear, TakesOnlyFewBFloat16RowsOnTheCpu) {
  const at::Tensor w = at::randn({8, 32}).to(at::kBFloat16);
  if (!available())
    GTEST_SKIP() << "this CPU has no AVX-512 BF16 dot products: at::linear serves all";
  EXPECT_TRUE(small_linear_applies(at::randn({2, 2, 32}).to(at::kBFloat16), w, {}));
  EXPECT_FALSE(small_linear_applies(at::randn({5, 32}).to(at::kBFloat16), w, {}));
  EXPECT_FALSE(small_linear_applies(at::randn({1, 32}), w.to(at::kFloat), {}));
  EXPECT_FALSE(
      small_linear_applies(at::randn({1, 32}).to(at::kBFloat16), w.t().contiguous().t(), {}));
  // A [.., K] input keeps its leading shape.
  EXPECT_EQ(small_linear(at::randn({2, 3, 32}).to(at::kBFloat16), w, {}).sizes(),
            (std::vector<int64_t>{2, 3, 8}));
}

}  // namespace
}  // namespace wizard::model::cpu
