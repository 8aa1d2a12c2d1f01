#include "mlp.hpp"

namespace wizard::model {

at::Tensor swiglu_mlp(const MlpWeights& w, const at::Tensor& x) {
  const at::Tensor gate = at::silu(at::linear(x, w.gate_proj, w.gate_proj_bias));
  return at::linear(gate * at::linear(x, w.up_proj, w.up_proj_bias), w.down_proj, w.down_proj_bias);
}

}  // namespace wizard::model
