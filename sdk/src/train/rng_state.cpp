#include "wizard/train/rng_state.hpp"

#include <ATen/Context.h>
#include <ATen/detail/CUDAHooksInterface.h>

#include <mutex>

#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"

namespace wizard::train {

namespace {

std::vector<std::pair<std::string, at::Device>> generator_devices() {
  std::vector<std::pair<std::string, at::Device>> devices = {{"cpu", at::Device(at::kCPU)}};
  if (at::hasCUDA()) {
    const int count = at::detail::getCUDAHooks().getNumGPUs();
    for (int i = 0; i < count; ++i) {
      devices.emplace_back("cuda:" + std::to_string(i),
                           at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(i)));
    }
  }
  return devices;
}

}  // namespace

safetensors::NamedTensors capture_rng_state() {
  safetensors::NamedTensors states;
  for (const auto& [name, device] : generator_devices()) {
    at::Generator generator = at::globalContext().defaultGenerator(device);
    std::lock_guard<std::mutex> lock(generator.mutex());
    states.emplace_back(name, generator.get_state().clone());
  }
  return states;
}

void restore_rng_state(const safetensors::File& file) {
  for (const auto& [name, device] : generator_devices()) {
    if (!file.contains(name)) {
      logger()->warn("{} holds no state for the {} generator; it keeps its current state",
                     file.path().string(), name);
      continue;
    }
    at::Generator generator = at::globalContext().defaultGenerator(device);
    std::lock_guard<std::mutex> lock(generator.mutex());
    try {
      generator.set_state(file.load(name));
    } catch (const c10::Error& error) {
      throw Error(file.path().string() + ": cannot restore the " + name +
                  " generator: " + error.what_without_backtrace());
    }
  }
}

}  // namespace wizard::train
