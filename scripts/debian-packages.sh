# The Debian packages wizard builds with, named once for the scripts that install them
# (scripts/setup.sh, as root) and unpack them (scripts/gpu-check.sh, without root).
# Sourced, not run. Names that hold on Debian 12 (bookworm) and 13 (trixie).

# Libraries and headers the tree builds against (tests included). libgloo-dev: only the
# headers that LibTorch's ProcessGroupGloo.hpp includes (the `torch` wheel lacks them); the
# code is LibTorch's own Gloo (docs/distributed.md).
wizard_library_packages=(
  libboost-dev libboost-filesystem-dev libboost-program-options-dev
  libtomlplusplus-dev nlohmann-json3-dev libfmt-dev libspdlog-dev libyaml-cpp-dev
  libicu-dev libonig-dev
  libgloo-dev
  libgtest-dev libgmock-dev
)
# Optional: FAISS, with which the hard-negative mining plugin (plugins/mining/) searches sets
# above mining_exact_limit approximately (HNSW); a build without it searches exactly only.
# bookworm has 1.7.3, trixie 1.11.0.
wizard_optional_packages=(libfaiss-dev)
# Only the micro-benchmarks (WIZARD_BUILD_BENCHMARKS) use it.
wizard_benchmark_packages=(libbenchmark-dev)
# What the tests drive besides wizard: tmux (`wizard chat` typed into a terminal).
wizard_test_packages=(tmux)
# The tools that build it.
wizard_tool_packages=(build-essential cmake ninja-build pkg-config ccache git)
# Only scripts/fuzz.sh uses them: clang with libFuzzer, AddressSanitizer and UBSan.
wizard_fuzz_packages=(clang libclang-rt-dev)
