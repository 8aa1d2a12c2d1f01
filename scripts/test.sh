#!/usr/bin/env bash
# Builds wizard with its tests and runs them all through ctest.
# Golden tests read ../shared/refs/public beside the checkout, or $WIZARD_REFS.
# Extra arguments go to ctest, e.g. -L unit, -R Tokenizer, -LE slow.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/build.sh -DWIZARD_BUILD_TESTS=ON
# Debian's OpenBLAS needs telling on AVX-512 CPUs (see core/src/main.cpp).
if grep -q avx512f /proc/cpuinfo 2>/dev/null; then export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-SkylakeX}"; fi
ctest --test-dir "${WIZARD_BUILD_DIR:-build}" --output-on-failure --parallel "$(nproc)" "$@"
