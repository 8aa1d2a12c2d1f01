// LibTorch's autocast state (CPU and CUDA), read and restored across LibTorch versions: the
// model builds its rotary tables and masks in the dtype autocast computes in, and gradient
// checkpointing recomputes a layer under the autocast state of its forward pass.
#pragma once

#include <ATen/ATen.h>

namespace wizard::model {

struct AutocastState {
  bool cpu_enabled = false;
  at::ScalarType cpu_dtype = at::kBFloat16;
  bool cuda_enabled = false;
  at::ScalarType cuda_dtype = at::kHalf;

  static AutocastState current();
};

// Sets `state` while alive, then restores the previous one.
class AutocastGuard {
 public:
  explicit AutocastGuard(const AutocastState& state);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  AutocastState previous_;
};

// The dtype matrix products run in on `device`: autocast's when it is on there, else `dtype`.
at::ScalarType autocast_compute_dtype(at::Device device, at::ScalarType dtype);

}  // namespace wizard::model
