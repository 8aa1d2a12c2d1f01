#include "autocast_state.hpp"

#include <ATen/autocast_mode.h>

namespace wizard::model {

namespace {

void set(const AutocastState& s) {
  at::autocast::set_autocast_enabled(at::kCPU, s.cpu_enabled);
  at::autocast::set_autocast_dtype(at::kCPU, s.cpu_dtype);
  at::autocast::set_autocast_enabled(at::kCUDA, s.cuda_enabled);
  at::autocast::set_autocast_dtype(at::kCUDA, s.cuda_dtype);
}
AutocastState read() {
  return {at::autocast::is_autocast_enabled(at::kCPU), at::autocast::get_autocast_dtype(at::kCPU),
          at::autocast::is_autocast_enabled(at::kCUDA),
          at::autocast::get_autocast_dtype(at::kCUDA)};
}

}  // namespace

AutocastState AutocastState::current() {
  return read();
}

AutocastGuard::AutocastGuard(const AutocastState& state) : previous_(read()) {
  set(state);
}

AutocastGuard::~AutocastGuard() {
  set(previous_);
}

at::ScalarType autocast_compute_dtype(at::Device device, at::ScalarType dtype) {
  const AutocastState s = read();
  if (device.is_cpu() && s.cpu_enabled) return s.cpu_dtype;
  if (device.is_cuda() && s.cuda_enabled) return s.cuda_dtype;
  return dtype;
}

}  // namespace wizard::model
