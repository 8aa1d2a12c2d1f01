// The device the LibTorch test suites run the model, loss, scoring and training tests on:
// WIZARD_TEST_DEVICE ("cpu" by default; "cuda", "cuda:N" on a GPU machine). A device this
// LibTorch cannot use fails the test that asks for it, with the reason.
#pragma once

#include <ATen/ATen.h>

#include <string>

namespace wizard::test {

at::Device test_device();
std::string test_device_name();  // as WIZARD_TEST_DEVICE gave it

// A float32 tolerance met on the CPU, widened for the test device: GPU kernels sum in other
// orders (cuBLAS split-K, flash attention's blocks) and round intermediates differently, so
// their float32 results sit a few more roundings from the reference.
double device_tolerance(double cpu_tolerance);

}  // namespace wizard::test
