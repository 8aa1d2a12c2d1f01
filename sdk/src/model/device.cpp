#include "wizard/model/device.hpp"

#include <ATen/Context.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/version.h>

#include "wizard/base/error.hpp"
#include "wizard/distributed/environment.hpp"

namespace wizard::model {

namespace {

int visible_gpus() {
  return at::hasCUDA() ? at::detail::getCUDAHooks().getNumGPUs() : 0;
}

}  // namespace

c10::Device resolve_device(const std::string& name) {
  // Each rank of a data-parallel run on one machine takes the GPU of its LOCAL_RANK.
  const auto& launch = distributed::LaunchEnvironment::current();
  const int local_gpu = launch.distributed() ? static_cast<int>(launch.local_rank) : 0;
  if (name == "auto" && visible_gpus() == 0) return c10::Device(c10::kCPU);
  if (name == "auto") return resolve_device(launch.distributed() ? "cuda" : "cuda:0");
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
  const int index = device.has_index() ? device.index() : local_gpu;
  if (!device.has_index() && index >= gpus) {
    throw ConfigError("'" + name + "' in a data-parallel run: this is local rank " +
                      std::to_string(index) + " of " + std::to_string(launch.local_world_size) +
                      " on its machine, but only " + std::to_string(gpus) +
                      " GPU(s) are visible; start at most one rank per GPU (--nproc-per-node)");
  }
  if (index >= gpus) {
    throw ConfigError("'" + name + "', but " + std::to_string(gpus) +
                      " GPU(s) are visible (CUDA_VISIBLE_DEVICES may hide some); use cuda:0" +
                      (gpus > 1 ? " to cuda:" + std::to_string(gpus - 1) : std::string()));
  }
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

}  // namespace wizard::model
