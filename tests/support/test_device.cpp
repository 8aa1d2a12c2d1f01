#include "test_device.hpp"

#include <cstdlib>

#include "wizard/model/device.hpp"

namespace wizard::test {

std::string test_device_name() {
  const char* name = std::getenv("WIZARD_TEST_DEVICE");
  return name != nullptr && *name != '\0' ? name : "cpu";
}

at::Device test_device() {
  static const at::Device device = model::resolve_device(test_device_name());
  return device;
}

double device_tolerance(double cpu_tolerance) {
  return test_device().is_cpu() ? cpu_tolerance : 10 * cpu_tolerance;
}

}  // namespace wizard::test
