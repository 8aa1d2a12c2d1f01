#!/usr/bin/env bash
# Builds wizard with its tests and runs them all through ctest.
# Golden tests read ../shared/refs/public beside the checkout, or $WIZARD_REFS.
# Extra arguments go to ctest, e.g. -L unit, -R Tokenizer, -LE slow.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/build.sh -DWIZARD_BUILD_TESTS=ON
ctest --test-dir "${WIZARD_BUILD_DIR:-build}" --output-on-failure --parallel "$(nproc)" "$@"
