// Running one computation through the fused CPU kernels and through the ATen path, and
// comparing values and gradients within the dtype's rounding.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace wizard::test {

struct Run {
  at::Tensor output;
  std::vector<at::Tensor> grads;  // of each input, in order (undefined when none)
};

// Calls f on leaf copies of `inputs` (those floating-point requiring gradients), then
// backward of sum(output * probe) with a fixed random probe. `aten`: with ScopedAtenKernels.
Run run_op(const std::function<at::Tensor(const std::vector<at::Tensor>&)>& f,
           const std::vector<at::Tensor>& inputs, bool aten);

// max |a - b| / (atol + rtol * |b|) <= 1 elementwise, in float64, with a message naming what.
void expect_close(const at::Tensor& actual, const at::Tensor& expected, double rtol, double atol,
                  const std::string& what);

// Fused vs ATen: output and every gradient close (tolerances per dtype: about two roundings
// of the dtype for values; `grad_rtol` for gradients, which sum rounded terms), except the
// gradients of the inputs listed in `unchecked_gradients` (a caller says why).
void expect_fused_matches_aten(const std::function<at::Tensor(const std::vector<at::Tensor>&)>& f,
                               const std::vector<at::Tensor>& inputs, const std::string& what,
                               double grad_rtol = -1,
                               const std::vector<std::size_t>& unchecked_gradients = {});

// A random tensor in `dtype` of the given shape, values ~ N(0, scale).
at::Tensor random(at::IntArrayRef shape, at::ScalarType dtype, double scale = 1.0);

}  // namespace wizard::test
