#include "rmsnorm.hpp"

#include <torch/csrc/autograd/custom_function.h>

#include "kernels_cpu_ops.hpp"

namespace wizard::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The fused CPU kernel: one pass forward (keeping x and the per-row 1/rms), one pass back.
class FusedRmsNorm : public torch::autograd::Function<FusedRmsNorm> {
 public:
  static variable_list forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                               double eps) {
    auto [y, rstd] = cpu::rms_norm(x, weight, eps);
    ctx->save_for_backward({x, weight, rstd});
    return {y};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    auto [grad_x, grad_weight] = cpu::rms_norm_backward(grads[0], saved[0], saved[1], saved[2]);
    return {grad_x, grad_weight, at::Tensor()};
  }
};

at::Tensor rms_norm_aten(const at::Tensor& x, const at::Tensor& weight, double eps) {
  const at::Tensor x32 = x.to(at::kFloat);
  const at::Tensor variance = x32.pow(2).mean(-1, /*keepdim=*/true);
  const at::Tensor normed = x32 * at::rsqrt(variance + eps);
  return weight * normed.to(x.scalar_type());
}

}  // namespace

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  if (cpu::fused({x, weight})) return FusedRmsNorm::apply(x, weight, eps)[0];
  return rms_norm_aten(x, weight, eps);
}

}  // namespace wizard::model
