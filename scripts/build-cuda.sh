#!/usr/bin/env bash
# Builds the whole tree (tests and benchmarks included) against the CUDA build of `torch`
# in .venv-cuda (scripts/setup.sh --cuda), in build-cuda or $WIZARD_BUILD_DIR. Compiles and
# links only, so no GPU is needed: CI runs it to keep the CUDA build compiling. It then loads
# every plugin once with the CUDA LibTorch (`wizard plugins`). Extra arguments go to CMake.
# On a GPU machine, scripts/gpu-check.sh builds and also runs the tests there.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${WIZARD_CUDA_VENV:-.venv-cuda}"
[ -x "$venv/bin/python" ] || { echo "build-cuda: no $venv: run scripts/setup.sh --cuda" >&2; exit 2; }
export WIZARD_BUILD_DIR="${WIZARD_BUILD_DIR:-build-cuda}"
scripts/build.sh -DWIZARD_PYTHON="$(cd "$venv" && pwd)/bin/python" "$@"
"$WIZARD_BUILD_DIR/bin/wizard" plugins >/dev/null
echo "build-cuda: $WIZARD_BUILD_DIR built against $("$venv/bin/python" -c \
  'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda)'), plugins load"
