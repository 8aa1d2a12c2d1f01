#!/usr/bin/env bash
# Builds wizard (without tests), writes a tiny random model, and trains it on the
# quickstart task (examples/quickstart/config.toml), printing the held-out
# figures before and after. Extra arguments go to `wizard run` (e.g. --set ...).
# WIZARD_NO_BUILD=1 uses the wizard already built in $WIZARD_BUILD_DIR (scripts/gpu-check.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${WIZARD_NO_BUILD:-0}" != 1 ]; then
  scripts/build.sh -DWIZARD_BUILD_TESTS=OFF -DWIZARD_BUILD_BENCHMARKS=OFF
fi
wizard="${WIZARD_BUILD_DIR:-build}/bin/wizard"

# A short RoPE wavelength (theta 1e4) lets a model this small tell nearby positions apart.
# runs/quickstart/ is the quickstart's own (its config sets overwrite_output_dir too): a
# second run writes the same seeded model again.
"$wizard" init-model runs/quickstart/model --hidden_size 128 --num_hidden_layers 4 \
  --num_attention_heads 4 --num_key_value_heads 2 --intermediate_size 384 \
  --rope_theta 10000 --seed 1 --overwrite
"$wizard" run examples/quickstart/config.toml "$@"
