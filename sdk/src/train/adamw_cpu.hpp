// The fused CPU AdamW pass: one read of gradient, master and moments and one write of each
// per element, instead of the ~10 full passes of the ATen op sequence. Elements are
// independent and every element runs the same scalar code whatever the thread split, so
// results do not depend on the number of threads.
#pragma once

#include <ATen/ATen.h>

namespace wizard::train::detail {

// The per-step constants of torch's update, already rounded to float as ATen rounds its
// Scalar arguments for float tensors.
struct AdamWScalars {
  float decay_factor;  // 1 - lr * weight_decay
  float beta1;         // m = m * beta1 + one_minus_beta1 * g
  float one_minus_beta1;
  float beta2;  // v = v * beta2 + one_minus_beta2 * g * g
  float one_minus_beta2;
  float bias_correction2_sqrt;  // sqrt(1 - beta2^step)
  float eps;
  float neg_step_size;  // -lr / (1 - beta1^step)
  float grad_scale;     // clipping coefficient
};

// A contiguous CPU tensor of float, bfloat16 or half.
bool fused_cpu_tensor(const at::Tensor& tensor);

// Sum over elements of g^2 in double, g = accumulator + grad (float32; either may be
// undefined). Summed in fixed blocks, so the result does not depend on the thread count.
double fused_sum_of_squares(const at::Tensor& accumulator, const at::Tensor& grad);

// One AdamW update of `parameter` (float, bfloat16 or half). A float32 parameter is its own
// master (both masters undefined). A low-precision one needs its float32 master, either whole
// (`master`, the parameter then gets it rounded to nearest even) or, for bfloat16, split
// (`master_low`, int16: see split_master_halves in adamw.cpp), where the parameter gets the
// master rounded to nearest with ties away from zero and master_low the bit difference. The
// gradient is accumulator + grad, as above. exp_avg and exp_avg_sq are float32.
void fused_adamw_step(const at::Tensor& parameter, const at::Tensor& master,
                      const at::Tensor& master_low, const at::Tensor& accumulator,
                      const at::Tensor& grad, const at::Tensor& exp_avg,
                      const at::Tensor& exp_avg_sq, const AdamWScalars& scalars);

}  // namespace wizard::train::detail
