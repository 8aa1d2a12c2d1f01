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
    // bfloat16-representable values, so that runs in any dtype see the very same probe.
    at::Tensor probe =
        at::randn(run.output.sizes(), at::kDouble).to(at::kBFloat16).to(run.output.scalar_type());
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

namespace {

// max |a - e| / (atol + rtol |e|) in float64 (equal entries count 0, even at zero tolerance).
double worst_ratio(const at::Tensor& actual, const at::Tensor& expected, double rtol, double atol) {
  const at::Tensor a = actual.to(at::kDouble), e = expected.to(at::kDouble);
  const at::Tensor difference = (a - e).abs();
  return at::where(difference == 0, at::zeros_like(difference),
                   difference / (atol + rtol * e.abs()))
      .max()
      .item<double>();
}

}  // namespace

void expect_close(const at::Tensor& actual, const at::Tensor& expected, double rtol, double atol,
                  const std::string& what) {
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
  ASSERT_FALSE(actual.isnan().any().item<bool>()) << what << ": NaN";
  const double worst = worst_ratio(actual, expected, rtol, atol);
  EXPECT_LE(worst, 1.0)
      << what << ": worst |a - b| / (atol + rtol |b|) = " << worst << ", max |a - b| = "
      << (actual.to(at::kDouble) - expected.to(at::kDouble)).abs().max().item<double>();
}

void expect_fused_matches_aten(const std::function<at::Tensor(const std::vector<at::Tensor>&)>& f,
                               const std::vector<at::Tensor>& inputs, const std::string& what,
                               double grad_rtol,
                               const std::vector<std::size_t>& unchecked_gradients,
                               const at::Tensor& defined_outputs) {
  const Run fused = run_op(f, inputs, false, defined_outputs);
  const Run aten = run_op(f, inputs, true, defined_outputs);
  // bfloat16 tolerances when any input is bfloat16 (outputs may be float32 statistics of it).
  bool bf16 = false;
  for (const at::Tensor& t : inputs) bf16 = bf16 || t.scalar_type() == at::kBFloat16;
  // In bfloat16, ATen's own rounding is not a fixed target (LibTorch 2.6's attention rounds
  // differently from 2.13's): where fused and ATen differ by more than the tolerance, the
  // fused result must be within the tolerance of the exact value — the ATen path in float64
  // on the same, already rounded, inputs — or no further from it than 1.5 times ATen's
  // bfloat16 result is (on 2.13 the two errors' ratio is 0.6 to 1.3 across these tests; a
  // kernel fault is off by orders of magnitude).
  std::optional<Run> exact;
  if (bf16) {
    std::vector<at::Tensor> exact_inputs = inputs;
    for (at::Tensor& t : exact_inputs) {
      if (at::isFloatingType(t.scalar_type())) t = t.to(at::kDouble);
    }
    exact = run_op(f, exact_inputs, true, defined_outputs);
  }
  // Compare only what is defined: undefined outputs are zeroed on both paths.
  const auto defined = [&](const at::Tensor& t) {
    return defined_outputs.defined() ? t * defined_outputs.to(t.scalar_type()) : t;
  };
  const double rtol = bf16 ? 1.0 / 64 : 1e-5;
  const double atol = bf16 ? 1e-2 : 1e-5;
  if (grad_rtol < 0) grad_rtol = rtol;
  // Absolute slack relative to each tensor's own scale: sums of many rounded terms (matrix
  // products in another order) differ by a few roundings of their largest terms.
  const auto scale = [](const at::Tensor& t) {
    return std::max(t.abs().max().item<double>(), 1.0);
  };
  const auto check = [&](const at::Tensor& from_fused, const at::Tensor& from_aten,
                         const at::Tensor* exact_value, double tolerance, const std::string& name) {
    const double slack = atol * scale(from_aten);
    if (!exact_value || worst_ratio(from_fused, from_aten, tolerance, slack) <= 1.0) {
      expect_close(from_fused, from_aten, tolerance, slack, name);
      return;
    }
    ASSERT_FALSE(from_fused.isnan().any().item<bool>()) << name << ": NaN";
    const double fused_error = worst_ratio(from_fused, *exact_value, tolerance, slack);
    const double aten_error = worst_ratio(from_aten, *exact_value, tolerance, slack);
    EXPECT_LE(fused_error, std::max(1.0, 1.5 * aten_error))
        << name << ": fused and ATen differ by more than the tolerance, and fused is further "
        << "from the exact value (worst |fused - exact| / (atol + rtol |exact|) = " << fused_error
        << ", ATen's " << aten_error << ")";
  };
  const at::Tensor exact_output = exact ? defined(exact->output) : at::Tensor();
  check(defined(fused.output), defined(aten.output), exact ? &exact_output : nullptr, rtol,
        what + " output");
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!aten.grads[i].defined()) continue;
    if (std::find(unchecked_gradients.begin(), unchecked_gradients.end(), i) !=
        unchecked_gradients.end()) {
      continue;
    }
    check(fused.grads[i], aten.grads[i], exact ? &exact->grads[i] : nullptr, grad_rtol,
          what + " gradient of input " + std::to_string(i));
  }
}

}  // namespace wizard::test
