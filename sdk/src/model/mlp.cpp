#include "mlp.hpp"

#include <torch/csrc/autograd/custom_function.h>

#include "adapted_linear.hpp"
#include "kernels_cpu_ops.hpp"

namespace wizard::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// silu(gate) * up in one pass, keeping only gate and up for backward (ATen also keeps
// silu(gate)); backward produces both gradients in one pass.
class FusedSwiglu : public torch::autograd::Function<FusedSwiglu> {
 public:
  static variable_list forward(AutogradContext* ctx, const at::Tensor& gate, const at::Tensor& up) {
    ctx->save_for_backward({gate, up});
    return {cpu::swiglu(gate, up)};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    auto [grad_gate, grad_up] = cpu::swiglu_backward(grads[0], saved[0], saved[1]);
    return {grad_gate, grad_up};
  }
};

}  // namespace

at::Tensor swiglu(const at::Tensor& gate, const at::Tensor& up) {
  if (cpu::fused({gate, up}) && gate.sizes() == up.sizes()) return FusedSwiglu::apply(gate, up)[0];
  return at::silu(gate) * up;
}

at::Tensor swiglu_mlp(const MlpWeights& w, const at::Tensor& x) {
  const std::vector<at::Tensor> gate_up =
      adapted_linears(x, {{w.gate_proj, w.gate_proj_bias, w.gate_proj_adapter},
                          {w.up_proj, w.up_proj_bias, w.up_proj_adapter}});
  return adapted_linear(swiglu(gate_up[0], gate_up[1]), w.down_proj, w.down_proj_bias,
                        w.down_proj_adapter);
}

}  // namespace wizard::model
