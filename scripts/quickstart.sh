#!/usr/bin/env bash
# Builds wizard (without tests) and runs the quickstart example.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/build.sh -DWIZARD_BUILD_TESTS=OFF -DWIZARD_BUILD_BENCHMARKS=OFF
"${WIZARD_BUILD_DIR:-build}/bin/wizard" run examples/inspect/config.toml "$@"
