#include "kernel_test_support.hpp"

#include <torch/csrc/autograd/autograd.h>

#include <algorithm>
#include <optional>

#include "model/kernels_cpu_ops.hpp"

namespace wizard::test {

at::Tensor random(at::IntArrayRef shape, at::ScalarType dtype, double scale) {
  return (at::randn(shape, at::kDouble) * scale).to(dtype);
}

Run run_op(const std::function<at::Tensor(const std::vector<at::Tensor>&)>& f,
           const std::vector<at::Tensor>& inputs, bool aten, const at::Tensor& defined_outputs) {
  std::vector<at::Tensor> leaves;
  std::vector<at::Tensor> wanted;
  for (const at::Tensor& t : inputs) {
    at::Tensor leaf = t.detach().clone();
    // Keep the strides of non-contiguous inputs (clone preserves them for dense tensors).
    if (at::isFloatingType(t.scalar_type())) {
      leaf.requires_grad_(true);
      wanted.push_back(leaf);
    }
    leaves.push_back(leaf);
  }
  Run run;
  {
    std::optional<model::cpu::ScopedAtenKernels> guard;
    if (aten) guard.emplace();
    run.output = f(leaves);
    at::manual_seed(1234);
    at::Tensor probe = at::randn(run.output.sizes(), at::kDouble).to(run.output.scalar_type());
    if (defined_outputs.defined()) probe = probe * defined_outputs.to(probe.scalar_type());
    const at::Tensor loss = (run.output * probe).sum();
    const auto grads = torch::autograd::grad({loss}, wanted, {}, false, false, true);
    std::size_t k = 0;
    for (const at::Tensor& t : leaves) {
      run.grads.push_back(t.requires_grad() ? grads[k++] : at::Tensor());
    }
  }
  return run;
}

void expect_close(const at::Tensor& actual, const at::Tensor& expected, double rtol, double atol,
                  const std::string& what) {
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
  const at::Tensor a = actual.to(at::kDouble), e = expected.to(at::kDouble);
  ASSERT_FALSE(a.isnan().any().item<bool>()) << what << ": NaN";
  // Equal entries pass even at zero tolerance (0 / 0 would be NaN).
  const at::Tensor difference = (a - e).abs();
  const at::Tensor ratio =
      at::where(difference == 0, at::zeros_like(difference), difference / (atol + rtol * e.abs()));
  const double worst = ratio.max().item<double>();
  EXPECT_LE(worst, 1.0) << what << ": worst |a - b| / (atol + rtol |b|) = " << worst
                        << ", max |a - b| = " << (a - e).abs().max().item<double>();
}

void expect_fused_matches_aten(const std::function<at::Tensor(const std::vector<at::Tensor>&)>& f,
                               const std::vector<at::Tensor>& inputs, const std::string& what,
                               double grad_rtol,
                               const std::vector<std::size_t>& unchecked_gradients,
                               const at::Tensor& defined_outputs) {
  const Run fused = run_op(f, inputs, false, defined_outputs);
  const Run aten = run_op(f, inputs, true, defined_outputs);
  // Compare only what is defined: undefined outputs are zeroed on both paths.
  const auto defined = [&](const at::Tensor& t) {
    return defined_outputs.defined() ? t * defined_outputs.to(t.scalar_type()) : t;
  };
  // bfloat16 tolerances when any input is bfloat16 (outputs may be float32 statistics of it).
  bool bf16 = false;
  for (const at::Tensor& t : inputs) bf16 = bf16 || t.scalar_type() == at::kBFloat16;
  const double rtol = bf16 ? 1.0 / 64 : 1e-5;
  const double atol = bf16 ? 1e-2 : 1e-5;
  if (grad_rtol < 0) grad_rtol = rtol;
  // Absolute slack relative to each tensor's own scale: sums of many rounded terms (matrix
  // products in another order) differ by a few roundings of their largest terms.
  const auto scale = [](const at::Tensor& t) {
    return std::max(t.abs().max().item<double>(), 1.0);
  };
  expect_close(defined(fused.output), defined(aten.output), rtol, atol * scale(aten.output),
               what + " output");
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!aten.grads[i].defined()) continue;
    if (std::find(unchecked_gradients.begin(), unchecked_gradients.end(), i) !=
        unchecked_gradients.end()) {
      continue;
    }
    expect_close(fused.grads[i], aten.grads[i], grad_rtol, atol * scale(aten.grads[i]),
                 what + " gradient of input " + std::to_string(i));
  }
}

}  // namespace wizard::test
