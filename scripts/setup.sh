#!/usr/bin/env bash
# Installs the Debian (bookworm) packages wizard needs to build, test and run.
# Idempotent: refreshes the package lists, then installs only what is missing.
# Run as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  libtorch-dev                       # LibTorch 1.13 (CPU)
  libopenblas0-pthread               # fast fp32 BLAS; without it LibTorch uses reference BLAS
  libboost-dev libboost-filesystem-dev libboost-program-options-dev
  libtomlplusplus-dev nlohmann-json3-dev libspdlog-dev libyaml-cpp-dev
  libre2-dev libicu-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libsleef-dev                       # vector math for the model's AVX2/AVX-512 CPU kernels
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages are already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "setup: run as root to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "setup: installing ${missing[*]}"
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
