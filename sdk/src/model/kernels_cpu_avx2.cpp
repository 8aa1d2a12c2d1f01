// The kernels compiled for AVX2 + FMA (flags and CPU_CAPABILITY set in sdk/CMakeLists.txt).
#include "kernels_cpu.hpp"

#if defined(CPU_CAPABILITY_AVX2) && __has_include(<sleef.h>)
#define WIZARD_KERNEL_VARIANT avx2
#include "kernels_cpu_impl.hpp"

const wizard::model::cpu::KernelTable* wizard::model::cpu::kernels_avx2() {
  return avx2::table("avx2");
}
#else
const wizard::model::cpu::KernelTable* wizard::model::cpu::kernels_avx2() {
  return nullptr;
}
#endif
