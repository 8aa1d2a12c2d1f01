#!/usr/bin/env bash
# Configures and builds wizard (Release) in ./build, or in $WIZARD_BUILD_DIR.
# Extra arguments go to CMake's configure step, e.g. -DWIZARD_BUILD_TESTS=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir="${WIZARD_BUILD_DIR:-build}"
generator=()
if command -v ninja >/dev/null && [ ! -f "$build_dir/CMakeCache.txt" ]; then generator=(-G Ninja); fi

cmake -S . -B "$build_dir" "${generator[@]}" "$@"
cmake --build "$build_dir" --parallel "$(nproc)"
