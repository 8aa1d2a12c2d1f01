#!/usr/bin/env bash
# Installs what wizard needs to build, test and run, on Debian 12 (bookworm) or 13 (trixie):
#   - the Debian packages below (only those missing; run as root, or with sudo available);
#   - LibTorch: the `torch` Python package, pinned in scripts/torch.env, in .venv
#     (or $WIZARD_VENV), which the build finds by itself.
#
#   scripts/setup.sh            Debian packages + .venv with the CPU `torch`
#   scripts/setup.sh --cuda     also .venv-cuda with the CUDA `torch` (compiling only: no GPU needed)
#   scripts/setup.sh --no-torch Debian packages only (bring your own LibTorch: Torch_DIR)
#
# Environment: WIZARD_TORCH_VERSION / WIZARD_TORCH_CUDA_VERSION override the pins;
# WIZARD_PYTHON_BASE is the Python that makes the venvs (default: python3.11, else python3).
# Idempotent: a venv that already holds the pinned torch is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

with_cuda=0
with_torch=1
for arg in "$@"; do
  case "$arg" in
    --cuda) with_cuda=1 ;;
    --no-torch) with_torch=0 ;;
    *) echo "setup: unknown option '$arg' (known: --cuda, --no-torch)" >&2; exit 2 ;;
  esac
done

# --- Debian packages --------------------------------------------------------------------
# shellcheck source=debian-packages.sh
source scripts/debian-packages.sh
packages=("${wizard_tool_packages[@]}" "${wizard_library_packages[@]}"
          "${wizard_optional_packages[@]}" "${wizard_benchmark_packages[@]}"
          "${wizard_test_packages[@]}" "${wizard_fuzz_packages[@]}")

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

# The Python that makes the venvs: it needs the venv module (Debian: python3-venv).
python_base="${WIZARD_PYTHON_BASE:-}"
if [ -z "$python_base" ]; then
  # Debian 12's python3 is 3.11; Debian 13's is 3.13 (then python3.11 is usually absent).
  if command -v python3.11 >/dev/null; then python_base=python3.11; else python_base=python3; fi
elif [ "$with_torch" = 1 ] && ! command -v "$python_base" >/dev/null; then
  echo "setup: WIZARD_PYTHON_BASE=$python_base is not an installed command;" \
       "name one that is (e.g. python3), or unset it" >&2
  exit 2
fi
if [ "$with_torch" = 1 ] && ! "$python_base" -c "import venv, ensurepip" 2>/dev/null; then
  packages+=(python3-venv)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} Debian packages are installed ($(cat /etc/debian_version))"
else
  if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
    echo "setup: run as root (or install sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

[ "$with_torch" = 1 ] || exit 0
if ! "$python_base" -c "import venv, ensurepip" 2>/dev/null; then
  echo "setup: $python_base cannot make a virtual environment (no venv/ensurepip module);" \
       "install its Debian package ${python_base##*/}-venv" >&2
  exit 1
fi

# --- LibTorch from the `torch` package ---------------------------------------------------
# shellcheck source=torch.env
source scripts/torch.env

# make_venv DIR VERSION: a venv at DIR whose torch is VERSION (installed when it is not).
# The local part of the installed version is ignored: PyTorch's CPU wheels are 2.13.0+cpu.
make_venv() {
  local dir="$1" version="$2" installed
  installed="$("$dir/bin/python" -c \
    'import importlib.metadata as m; print(m.version("torch").split("+")[0])' 2>/dev/null || true)"
  if [ "$installed" = "$version" ]; then
    echo "setup: $dir has torch $version"
    return
  fi
  echo "setup: installing torch $version into $dir"
  "$python_base" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --upgrade pip >/dev/null || true
  "$dir/bin/python" -m pip install --quiet "torch==$version"
  "$dir/bin/python" -c 'import importlib.metadata as m; print("setup: torch", m.version("torch"))'
}

make_venv "${WIZARD_VENV:-.venv}" "$WIZARD_TORCH_VERSION"
if [ "$with_cuda" = 1 ]; then
  make_venv "${WIZARD_CUDA_VENV:-.venv-cuda}" "$WIZARD_TORCH_CUDA_VERSION"
fi
