// The LM head at scored positions on the fused CPU path (transposed vocabulary slices,
// log-softmax statistics per slice, in-place gradient) against the ATen path: values, logit
// sums and gradients, with one and several position chunks, vocabularies that are not a
// multiple of the slice, and a second backward (which recomputes the kept logits).
#include <gtest/gtest.h>

#include <torch/csrc/autograd/autograd.h>

#include "kernel_test_support.hpp"
#include "model/kernels_cpu_ops.hpp"
#include "wizard/preference/selected_logprobs.hpp"

namespace wizard::test {
namespace {

class SelectedLogprobs : public ::testing::TestWithParam<at::ScalarType> {};

TEST_P(SelectedLogprobs, FusedMatchesAten) {
  const at::ScalarType dtype = GetParam();
  at::manual_seed(7);
  const int64_t positions = 37, hidden = 24, vocab = 5000;
  const at::Tensor h = random({positions, hidden}, dtype);
  const at::Tensor w = random({vocab, hidden}, dtype, 0.5);
  const at::Tensor labels = at::randint(0, vocab, {positions}, at::kLong);
  for (const int64_t chunk : {1024, 16}) {
    SCOPED_TRACE("chunk " + std::to_string(chunk));
    expect_fused_matches_aten(
        [&](const std::vector<at::Tensor>& in) {
          return preference::selected_logprobs(in[0], in[1], labels, chunk).logps;
        },
        {h, w}, "selected_logprobs", dtype == at::kBFloat16 ? 0.05 : 1e-4);
    const at::Tensor fused = preference::selected_logprobs(h, w, labels, chunk).logit_sums;
    model::cpu::ScopedAtenKernels aten;
    const at::Tensor reference = preference::selected_logprobs(h, w, labels, chunk).logit_sums;
    expect_close(fused, reference, 1e-5, 1e-3, "logit sums");
  }
}

TEST_P(SelectedLogprobs, SecondBackwardRecomputesKeptLogits) {
  const at::ScalarType dtype = GetParam();
  const at::Tensor h = random({9, 16}, dtype).requires_grad_(true);
  const at::Tensor w = random({3000, 16}, dtype, 0.5).requires_grad_(true);
  const at::Tensor labels = at::randint(0, 3000, {9}, at::kLong);
  const at::Tensor loss = preference::selected_logprobs(h, w, labels).logps.sum();
  const auto first = torch::autograd::grad({loss}, {h, w}, {}, /*retain_graph=*/true);
  const auto second = torch::autograd::grad({loss}, {h, w});
  expect_close(second[0], first[0], 1e-6, 0, "hidden gradient");
  expect_close(second[1], first[1], 1e-6, 0, "weight gradient");
}

TEST_P(SelectedLogprobs, NoPositionsGiveZeroGradients) {
  const at::ScalarType dtype = GetParam();
  const at::Tensor h = random({0, 16}, dtype).requires_grad_(true);
  const at::Tensor w = random({3000, 16}, dtype).requires_grad_(true);
  const at::Tensor labels = at::zeros({0}, at::kLong);
  const at::Tensor loss = preference::selected_logprobs(h, w, labels).logps.sum();
  const auto grads = torch::autograd::grad({loss}, {h, w}, {}, false, false, true);
  EXPECT_EQ(grads[1].abs().max().item<double>(), 0.0);
}

INSTANTIATE_TEST_SUITE_P(Dtypes, SelectedLogprobs, ::testing::Values(at::kFloat, at::kBFloat16),
                         [](const auto& info) {
                           return info.param == at::kBFloat16 ? "bfloat16" : "float32";
                         });

}  // namespace
}  // namespace wizard::test
