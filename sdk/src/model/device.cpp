#include "wizard/model/device.hpp"

#include <ATen/Context.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/version.h>

#include "wizard/base/error.hpp"

namespace wizard::model {

namespace {

int visible_gpus() {
  return at::hasCUDA() ? at::detail::getCUDAHooks().getNumGPUs() : 0;
}

}  // namespace

c10::Device resolve_device(const std::string& name) {
  if (name == "auto")
    return visible_gpus() > 0 ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  c10::Device device(c10::kCPU);
  try {
    device = c10::Device(name);
  } catch (const c10::Error&) {
    throw ConfigError("'" + name +
                      "' is not a device; use \"auto\", \"cpu\", \"cuda\" or \"cuda:N\"");
  }
  if (device.is_cpu()) return device;
  if (!device.is_cuda()) {
    throw ConfigError("'" + name + "': wizard runs on the CPU and on CUDA GPUs only");
  }
  if (!at::hasCUDA()) {
    throw ConfigError("'" + name + "', but this wizard is built against LibTorch " + TORCH_VERSION +
                      " without CUDA, or no CUDA driver is loaded; build wizard against a CUDA "
                      "LibTorch (scripts/setup.sh --cuda), or use \"cpu\" or \"auto\"");
  }
  const int gpus = visible_gpus();
  const int index = device.has_index() ? device.index() : 0;
  if (index >= gpus) {
    throw ConfigError("'" + name + "', but " + std::to_string(gpus) +
                      " GPU(s) are visible (CUDA_VISIBLE_DEVICES may hide some); use cuda:0" +
                      (gpus > 1 ? " to cuda:" + std::to_string(gpus - 1) : std::string()));
  }
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

}  // namespace wizard::model
