#!/usr/bin/env bash
# Installs what some tests use to look at wizard's outputs as a person's tools would, beyond
# what scripts/setup.sh installs to build and run wizard: Debian's chromium (renders
# report.html headless) and, into .venv, the tensorboard and mlflow-skinny packages (read the
# TensorBoard event files and the MLflow file store), transformers and peft (load wizard's LoRA
# adapters with PEFT and compare logits). The tests skip, saying so, without them;
# CI (.ci/run) runs this. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi
if ! command -v chromium >/dev/null; then
  echo "test tools: installing chromium"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium
fi
venv="${WIZARD_VENV:-.venv}"
if ! "$venv/bin/python" -c "import tensorboard, mlflow, transformers, peft" 2>/dev/null; then
  # transformers and peft: the PEFT adapter test loads wizard's adapters with them.
  echo "test tools: installing tensorboard, mlflow-skinny, transformers and peft into $venv"
  "$venv/bin/python" -m pip install --quiet tensorboard mlflow-skinny transformers peft
fi
echo "test tools: $(chromium --version 2>/dev/null | head -1); tensorboard $("$venv/bin/python" -c 'import tensorboard; print(tensorboard.__version__)'), mlflow $("$venv/bin/python" -c 'import mlflow; print(mlflow.__version__)' 2>/dev/null)"
