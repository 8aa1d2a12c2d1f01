#include "kernels_cpu.hpp"

#include <cstdlib>
#include <string>

#include "wizard/base/log.hpp"

namespace wizard::model::cpu {

namespace {

struct Available {
  const KernelTable* avx512 = nullptr;
  const KernelTable* avx2 = nullptr;
};

Available available() {
  Available a;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
    a.avx512 = kernels_avx512();
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) a.avx2 = kernels_avx2();
#endif
  return a;
}

const KernelTable* pick() {
  const Available a = available();
  const char* forced = std::getenv("WIZARD_CPU_KERNELS");
  const std::string want = forced != nullptr ? forced : "";
  const KernelTable* chosen = a.avx512 != nullptr ? a.avx512
                              : a.avx2 != nullptr ? a.avx2
                                                  : kernels_generic();
  if (want == "generic") chosen = kernels_generic();
  if (want == "avx2" || want == "avx512") {
    const KernelTable* wanted = want == "avx2" ? a.avx2 : a.avx512;
    if (wanted == nullptr) {
      logger()->warn("WIZARD_CPU_KERNELS={}: this CPU or build has no such kernels; using {}", want,
                     chosen->name);
    } else {
      chosen = wanted;
    }
  }
  logger()->debug("model: fused CPU kernels for {}", chosen->name);
  return chosen;
}

}  // namespace

const KernelTable& kernel_table() {
  static const KernelTable* table = pick();
  return *table;
}

}  // namespace wizard::model::cpu
