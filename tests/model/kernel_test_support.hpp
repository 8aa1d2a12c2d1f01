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
// `defined_outputs` (broadcast to the output; undefined: all): where the output means
// something. The probe is zero elsewhere, as a loss never reads such outputs (e.g. the
// queries of padding, which see no key: the ATen path's fused attention and the CPU kernels
// give them different, equally meaningless values and gradients).
Run run_op(const std::function<at::Tensor(const std::vector<at::Tensor>&)>& f,
           const std::vector<at::Tensor>& inputs, bool aten,
           const at::Tensor& defined_outputs = {});

// max |a - b| / (atol + rtol * |b|) <= 1 elementwise, in float64, with a message naming what.
void expect_close(const at::Tensor& actual, const at::Tensor& expected, double rtol, double atol,
                  const std::string& what);

// Fused vs ATen: output and every gradient close (tolerances per dtype: about two roundings
// of the dtype for values; `grad_rtol` for gradients, which sum rounded terms), except the
// gradients of the inputs listed in `unchecked_gradients` (a caller says why). With bfloat16
// inputs, where fused and ATen differ by more than that, the fused result must be within the
// tolerance of the exact value (ATen in float64 on the same inputs: f must accept float64
// inputs), or no further from it than 1.5 times ATen's bfloat16 result.
void expect_fused_matches_aten(const std::function<at::Tensor(const std::vector<at::Tensor>&)>& f,
                               const std::vector<at::Tensor>& inputs, const std::string& what,
                               double grad_rtol = -1,
                               const std::vector<std::size_t>& unchecked_gradients = {},
                               const at::Tensor& defined_outputs = {});

// A random tensor in `dtype` of the given shape, values ~ N(0, scale).
at::Tensor random(at::IntArrayRef shape, at::ScalarType dtype, double scale = 1.0);

}  // namespace wizard::test
