// The kernels for any CPU (at::vec's portable Vectorized; the compiler's own vectorisation).
#include "kernels_cpu.hpp"

#define WIZARD_KERNEL_VARIANT generic
#include "kernels_cpu_impl.hpp"

const wizard::model::cpu::KernelTable* wizard::model::cpu::kernels_generic() {
  return generic::table("generic");
}
