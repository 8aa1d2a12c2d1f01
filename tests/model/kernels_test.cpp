// The fused CPU kernels against the ATen computations they replace (forward and backward),
// in float32 and bfloat16, at sizes that are not multiples of the vector width and on
// non-contiguous inputs.
#include <gtest/gtest.h>

#include "kernel_test_support.hpp"
#include "model/kernels_cpu_ops.hpp"
#include "model/mlp.hpp"
#include "model/rmsnorm.hpp"

namespace wizard::test {
namespace {

class Kernels : public ::testing::TestWithParam<at::ScalarType> {};

std::string dtype_name(const ::testing::TestParamInfo<at::ScalarType>& info) {
  return info.param == at::kBFloat16 ? "bfloat16" : "float32";
}

TEST_P(Kernels, FusedPathIsTakenOnlyForCpuFloatTypes) {
  const at::ScalarType dtype = GetParam();
  EXPECT_TRUE(model::cpu::fused({at::ones({2}, dtype), at::ones({2}, dtype)}));
  EXPECT_FALSE(model::cpu::fused({at::ones({2}, dtype), at::ones({2}, at::kDouble)}));
  EXPECT_FALSE(model::cpu::fused({at::ones({2}, at::kDouble)}));
  model::cpu::ScopedAtenKernels aten;
  EXPECT_FALSE(model::cpu::fused({at::ones({2}, dtype)}));
}

TEST_P(Kernels, RmsNormMatchesAten) {
  const at::ScalarType dtype = GetParam();
  for (const auto& shape :
       std::vector<std::vector<int64_t>>{{1, 7}, {3, 37}, {2, 5, 129}, {4, 896}}) {
    const at::Tensor x = random(shape, dtype, 3.0);
    const at::Tensor w = random({shape.back()}, dtype) + 1;
    expect_fused_matches_aten(
        [](const std::vector<at::Tensor>& in) { return model::rms_norm(in[0], in[1], 1e-6); },
        {x, w}, "rms_norm " + std::to_string(shape.back()), dtype == at::kBFloat16 ? 0.05 : 1e-4);
  }
}

TEST_P(Kernels, RmsNormOnStridedAndTransposedInputs) {
  const at::ScalarType dtype = GetParam();
  const at::Tensor wide = random({6, 80}, dtype);
  const at::Tensor w = random({33}, dtype) + 1;
  // Rows of a wider matrix (row stride 80) and a transposed matrix (last stride not 1).
  expect_fused_matches_aten(
      [](const std::vector<at::Tensor>& in) {
        return model::rms_norm(in[0].narrow(1, 5, 33), in[1], 1e-5);
      },
      {wide, w}, "rms_norm strided rows", dtype == at::kBFloat16 ? 0.05 : 1e-4);
  const at::Tensor tall = random({33, 6}, dtype);
  expect_fused_matches_aten(
      [](const std::vector<at::Tensor>& in) { return model::rms_norm(in[0].t(), in[1], 1e-5); },
      {tall, w}, "rms_norm transposed", dtype == at::kBFloat16 ? 0.05 : 1e-4);
}

TEST_P(Kernels, SwigluMatchesAten) {
  const at::ScalarType dtype = GetParam();
  for (const auto& shape :
       std::vector<std::vector<int64_t>>{{1, 5}, {3, 33}, {2, 3, 100}, {8, 4864}}) {
    const at::Tensor gate = random(shape, dtype, 3.0);
    const at::Tensor up = random(shape, dtype);
    expect_fused_matches_aten(
        [](const std::vector<at::Tensor>& in) { return model::swiglu(in[0], in[1]); }, {gate, up},
        "swiglu " + std::to_string(shape.back()));
  }
}

TEST_P(Kernels, SwigluOnHalvesOfOneMatrix) {
  const at::ScalarType dtype = GetParam();
  const at::Tensor both = random({7, 2 * 45}, dtype, 2.0);
  expect_fused_matches_aten(
      [](const std::vector<at::Tensor>& in) {
        return model::swiglu(in[0].narrow(1, 0, 45), in[0].narrow(1, 45, 45));
      },
      {both}, "swiglu strided halves");
}

INSTANTIATE_TEST_SUITE_P(Dtypes, Kernels, ::testing::Values(at::kFloat, at::kBFloat16), dtype_name);

}  // namespace
}  // namespace wizard::test
