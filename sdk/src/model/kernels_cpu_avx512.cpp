// The kernels compiled for AVX-512 (flags and CPU_CAPABILITY set in sdk/CMakeLists.txt).
#include "kernels_cpu.hpp"

#if defined(CPU_CAPABILITY_AVX512) && __has_include(<sleef.h>)
#define WIZARD_KERNEL_VARIANT avx512
#include "kernels_cpu_impl.hpp"

const wizard::model::cpu::KernelTable* wizard::model::cpu::kernels_avx512() {
  return avx512::table("avx512");
}
#else
const wizard::model::cpu::KernelTable* wizard::model::cpu::kernels_avx512() {
  return nullptr;
}
#endif
