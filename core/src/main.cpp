#include <unistd.h>

#include <cstdlib>

#include "cli.hpp"

namespace {

// OpenBLAS picks its kernels when it is loaded, before main() runs, from the
// CPU it recognises. Debian's OpenBLAS 0.3.21 does not recognise recent Intel
// CPUs and falls back to generic kernels, 6x slower for fp32 matrix products.
// On CPUs with AVX-512, start again once with OPENBLAS_CORETYPE=SkylakeX.
// Set OPENBLAS_CORETYPE yourself (any value) to keep your own choice.
void prefer_avx512_openblas_kernels(char** argv) {
#if defined(__x86_64__)
  if (std::getenv("OPENBLAS_CORETYPE") || !__builtin_cpu_supports("avx512f")) return;
  setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
  execv("/proc/self/exe", argv);  // only returns on failure: then carry on as we are
#else
  (void)argv;
#endif
}

}  // namespace

int main(int argc, char** argv) {
  prefer_avx512_openblas_kernels(argv);
  return wizard::core::run_cli(argc, argv);
}
