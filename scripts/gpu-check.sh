#!/usr/bin/env bash
# Checks wizard on an NVIDIA GPU, on a machine that has a Python with a CUDA `torch`, CMake and
# a C++ compiler, but none of wizard's other dependencies and no root:
#   1. unpacks the Debian packages wizard builds against (.deb files fetched beforehand with
#      --fetch-debs) into a folder, without root (dpkg-deb -x, or ar + tar);
#   2. builds wizard and its tests (no micro-benchmarks) against them and against that `torch`;
#   3. runs the test suite with WIZARD_TEST_DEVICE=cuda;
#   4. runs the quickstart (examples/quickstart/config.toml) with the model on the GPU;
#   5. runs `wizard bench examples/bench/config.toml --synthetic --baseline` on the
#      Qwen2.5-0.5B shape;
# and prints one summary: versions, GPU, tests passed/failed, the quickstart's figures before
# and after, bench tokens/s, ratio to baseline, FLOP utilisation and peak memory.
# About 10 minutes on one H200 with 16 cores. See docs/gpu.md.
#
#   scripts/gpu-check.sh --fetch-debs DIR   on a Debian machine with its archive (no root needed):
#                                           download the .deb files into DIR
#   scripts/gpu-check.sh [--debs DIR]       on the GPU machine (DIR default: gpu-debs)
#
# Environment:
#   WIZARD_GPU_CHECK_DEVICE  cuda (default; refuses to run without a GPU), cuda:N, or cpu to
#                            rehearse the whole flow on a machine without one
#   WIZARD_PYTHON            the Python whose `torch` wizard builds against (default: python3)
#   WIZARD_GPU_CHECK_WORK    where the packages are unpacked (default: /tmp/wizard-gpu-check;
#                            outside the checkout, so installed binaries keep an RPATH to it)
#   WIZARD_BUILD_DIR         the build tree (default: build-gpu)
#   WIZARD_GPU_CHECK_DEVICE_KEY  the config key that picks the device (default: the first of
#                            device, transformer_spec.device, transformer_spec.device_map
#                            that `wizard check` accepts)
#   WIZARD_GPU_CHECK_BENCH_ARGS  extra `wizard bench` arguments (default on a GPU:
#                            --steps 20 --warmup 5)
#   WIZARD_REFS              the golden reference folder (default: ../shared/refs/public)
#   WIZARD_GPU_CHECK_CMAKE_ARGS  extra CMake arguments, e.g. -DWIZARD_ONLY_TESTS="core;model"
set -uo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

fail() { echo "gpu-check: $*" >&2; exit 2; }

# --- --fetch-debs DIR ---------------------------------------------------------------------
# The packages' dependencies are followed, except what the GPU machine has anyway: the C
# library and the C++ compiler with its runtime (everything g++ itself depends on).
apt_closure() {
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances "$@" | grep -v '^[ <]' | sort -u
}

fetch_debs() {
  local dir="$1"
  command -v apt-get >/dev/null || fail "--fetch-debs needs Debian's apt-get"
  # shellcheck source=debian-packages.sh
  source scripts/debian-packages.sh
  # pkgconf: the build asks pkg-config for Oniguruma, and the GPU machine may have none.
  local roots=("${wizard_library_packages[@]}" pkgconf-bin)
  apt-cache show "${roots[@]}" >/dev/null 2>&1 ||
    fail "apt-cache does not know all of ${roots[*]}; run apt-get update first"
  local packages
  packages="$(comm -23 <(apt_closure "${roots[@]}") <(apt_closure g++))"
  mkdir -p "$dir" || fail "cannot create $dir"
  rm -f "$dir"/*.deb
  echo "gpu-check: downloading $(echo "$packages" | wc -l) packages into $dir"
  # shellcheck disable=SC2086  # one package name per word
  (cd "$dir" && apt-get download $packages) || fail "apt-get download failed"
  {
    echo "# .deb files for scripts/gpu-check.sh, downloaded $(date -u +%F) on Debian" \
         "$(cat /etc/debian_version 2>/dev/null)"
    for deb in "$dir"/*.deb; do
      dpkg-deb --show --showformat='${Package} ${Version}\n' "$deb"
    done
  } >"$dir/packages.txt"
  echo "gpu-check: $(ls "$dir"/*.deb | wc -l) files, $(du -ch "$dir"/*.deb | tail -1 | cut -f1)" \
       "in all ($dir/packages.txt lists them)"
}

if [ "${1:-}" = "--fetch-debs" ]; then
  [ $# -eq 2 ] || fail "usage: scripts/gpu-check.sh --fetch-debs DIR"
  fetch_debs "$2"
  exit 0
fi

debs="gpu-debs"
while [ $# -gt 0 ]; do
  case "$1" in
    --debs) [ $# -ge 2 ] || fail "--debs needs a folder"; debs="$2"; shift 2 ;;
    *) fail "unknown argument '$1' (known: --fetch-debs DIR, --debs DIR)" ;;
  esac
done

device="${WIZARD_GPU_CHECK_DEVICE:-cuda}"
python="${WIZARD_PYTHON:-python3}"
work="${WIZARD_GPU_CHECK_WORK:-/tmp/wizard-gpu-check}"
build="${WIZARD_BUILD_DIR:-build-gpu}"
deps="$work/deps"
logs="$build/gpu-check-logs"
jobs="$(nproc)"
started=$SECONDS
phases=()   # "name seconds status" per phase, for the summary
failures=0

# run_phase NAME LOG COMMAND...: runs COMMAND with its output in LOG (and its tail on the
# screen when it fails); records the time and the outcome.
run_phase() {
  local name="$1" log="$2" start=$SECONDS status=ok
  shift 2
  echo "gpu-check: $name ..."
  if ! "$@" >"$log" 2>&1; then
    status=FAILED
    failures=$((failures + 1))
    tail -n 30 "$log" | sed 's/^/    /'
  fi
  phases+=("$name $((SECONDS - start)) $status")
  echo "gpu-check: $name: $status in $((SECONDS - start)) s (log: $log)"
  [ "$status" = ok ]
}

# --- what the machine has -----------------------------------------------------------------
command -v cmake >/dev/null || fail "cmake is not on PATH"
command -v "${CXX:-c++}" >/dev/null || fail "no C++ compiler (${CXX:-c++}) on PATH"
"$python" -c "import torch" 2>/dev/null || fail "$python has no \`torch\` (set WIZARD_PYTHON)"
torch_info="$(PYTHONWARNINGS=ignore "$python" - "$device" 2>&1 <<'EOF'
import sys, torch
device = sys.argv[1]
cuda = torch.version.cuda or "none"
print(f"torch {torch.__version__} (CUDA {cuda}), {torch.cuda.device_count()} GPU(s) visible")
if device.startswith("cuda"):
    if not torch.cuda.is_available():
        sys.exit(3)
    index = int(device.split(":")[1]) if ":" in device else 0
    p = torch.cuda.get_device_properties(index)
    print(f"{p.name}, {p.total_memory / 2**30:.0f} GiB, compute capability {p.major}.{p.minor}")
EOF
)"
case $? in
  0) ;;
  3) fail "no CUDA GPU is visible to $python's torch ($torch_info).
  Run this on a machine with an NVIDIA GPU and a CUDA build of torch, or rehearse the
  whole flow on the CPU with WIZARD_GPU_CHECK_DEVICE=cpu." ;;
  *) fail "$python could not describe its torch ($torch_info)" ;;
esac
[ -d "$debs" ] && ls "$debs"/*.deb >/dev/null 2>&1 ||
  fail "no .deb files in '$debs': run scripts/gpu-check.sh --fetch-debs $debs on a Debian
  machine first and bring the folder along, or name it with --debs DIR"
mkdir -p "$logs" "$work"
echo "gpu-check: on $device: $torch_info"

# --- 1. unpack the Debian packages --------------------------------------------------------
unpack_deb() {
  if command -v dpkg-deb >/dev/null; then
    dpkg-deb -x "$1" "$deps"
  else   # a .deb is an ar archive holding data.tar.{xz,zst,gz}
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && ar x "$1" && tar -xf data.tar.* -C "$deps") || return 1
    rm -rf "$tmp"
  fi
}

unpack_debs() {
  local stamp="$deps/.unpacked" listing
  listing="$(cd "$debs" && ls -l ./*.deb)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$listing" ]; then
    echo "already unpacked"
    return
  fi
  rm -rf "$deps"
  mkdir -p "$deps"
  for deb in "$debs"/*.deb; do
    echo "unpacking $(basename "$deb")"
    unpack_deb "$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")" || return 1
  done
  # Links that point at /usr/... must point into the folder.
  find "$deps" -type l -lname '/*' | while read -r link; do
    ln -sfn "$deps$(readlink "$link")" "$link"
  done
  echo "$listing" >"$stamp"
}
run_phase unpack "$logs/unpack.log" unpack_debs || exit 1

# The multiarch folder the packages use (x86_64-linux-gnu on amd64).
libdir="$(find "$deps/usr/lib" -mindepth 1 -maxdepth 1 -type d -name '*-linux-gnu*' | head -1)"
[ -n "$libdir" ] || fail "the packages in $debs hold no usr/lib/<arch>-linux-gnu folder"
# pkg-config that answers from the folder only (the packages' .pc files say prefix=/usr).
mkdir -p "$deps/bin"
cat >"$deps/bin/pkg-config" <<EOF
#!/bin/sh
export PKG_CONFIG_LIBDIR="$libdir/pkgconfig:$deps/usr/share/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$deps" PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
LD_LIBRARY_PATH="$libdir\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$deps/usr/bin/pkgconf" "\$@"
EOF
chmod +x "$deps/bin/pkg-config"
# For every CMake run, the tree's and the install test's (which builds a plugin against
# the installed SDK).
export CMAKE_PREFIX_PATH="$deps/usr:$libdir/cmake${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
export PKG_CONFIG="$deps/bin/pkg-config"

# --- 2. build -----------------------------------------------------------------------------
generator=()
if command -v ninja >/dev/null && [ ! -f "$build/CMakeCache.txt" ]; then generator=(-G Ninja); fi
# --disable-new-dtags: an RPATH (not RUNPATH) also serves the unpacked libraries' own
# dependencies (ICU's libicuuc needs libicudata). INSTALL_RPATH_USE_LINK_PATH: the installed
# binaries (the install test) find them too.
configure() {
  cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DWIZARD_PYTHON="$(command -v "$python")" -DWIZARD_BUILD_TESTS=ON \
    -DWIZARD_BUILD_BENCHMARKS=OFF \
    -DCMAKE_LIBRARY_PATH="$libdir" -DCMAKE_INCLUDE_PATH="$deps/usr/include" \
    -DPKG_CONFIG_EXECUTABLE="$deps/bin/pkg-config" \
    -DCMAKE_BUILD_RPATH="$libdir" -DCMAKE_INSTALL_RPATH_USE_LINK_PATH=ON \
    -DCMAKE_EXE_LINKER_FLAGS=-Wl,--disable-new-dtags \
    -DCMAKE_SHARED_LINKER_FLAGS=-Wl,--disable-new-dtags \
    -DCMAKE_MODULE_LINKER_FLAGS=-Wl,--disable-new-dtags "${cmake_args[@]}"
}
cmake_args=()
read -r -a cmake_args <<<"${WIZARD_GPU_CHECK_CMAKE_ARGS:-}"
run_phase configure "$logs/configure.log" configure || exit 1
run_phase build "$logs/build.log" cmake --build "$build" --parallel "$jobs" || exit 1
wizard="$build/bin/wizard"

# --- 3. tests -----------------------------------------------------------------------------
# Each test process gets two threads, so that $jobs of them share the cores.
run_tests() {
  WIZARD_TEST_DEVICE="$device" OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" \
    ctest --test-dir "$build" --output-on-failure --parallel "$jobs" --timeout 600
}
run_phase tests "$logs/tests.log" run_tests

# --- 4. quickstart on the device ----------------------------------------------------------
"$wizard" init-model runs/bench-qwen2.5-0.5b --preset qwen2.5-0.5b >"$logs/init-bench.log" 2>&1
# The config key that picks the device: the first one `wizard check` accepts.
device_key() {
  local key
  for key in ${WIZARD_GPU_CHECK_DEVICE_KEY:-device transformer_spec.device \
                                             transformer_spec.device_map}; do
    if "$wizard" check examples/bench/config.toml --set "$key=$device" \
         >"$logs/check-$key.log" 2>&1; then
      echo "$key"
      return
    fi
  done
  return 1
}
quickstart() {
  WIZARD_NO_BUILD=1 WIZARD_BUILD_DIR="$build" scripts/quickstart.sh --set "$key=$device"
}
bench() {
  "$wizard" bench examples/bench/config.toml --synthetic --baseline --set "$key=$device" \
    "${bench_args[@]}"
}
bench_args=(--steps 20 --warmup 5)
if [ -n "${WIZARD_GPU_CHECK_BENCH_ARGS+set}" ]; then
  read -r -a bench_args <<<"$WIZARD_GPU_CHECK_BENCH_ARGS"
fi
if key="$(device_key)"; then
  echo "gpu-check: the device is set with --set $key=$device"
  run_phase quickstart "$logs/quickstart.log" quickstart
  # --- 5. bench ---------------------------------------------------------------------------
  run_phase bench "$logs/bench.log" bench
else
  echo "gpu-check: no config key picks the device (see $logs/init-bench.log, $logs/check-*.log)"
  phases+=("device-key 0 FAILED")
  failures=$((failures + 1))
fi

# --- summary ------------------------------------------------------------------------------
# first_match FILE REGEX: the first line of FILE matching REGEX, trimmed.
first_match() { grep -m1 -E "$2" "$1" 2>/dev/null | sed 's/^[[:space:]]*//'; }
# The lines after "wizard:" in the bench output: wizard's own figures.
wizard_block() { sed -n '/^wizard: /,/^$/p' "$logs/bench.log" 2>/dev/null; }

summary() {
  echo
  echo "================================ wizard gpu-check ================================"
  echo "device         $device: $torch_info"
  if command -v nvidia-smi >/dev/null; then
    echo "driver         $(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -1)"
  fi
  echo "wizard         $("$wizard" --version 2>/dev/null | head -1)"
  echo "build          $(cmake --version | head -1), $("${CXX:-c++}" --version | head -1)"
  echo "packages       $(head -1 "$debs/packages.txt" 2>/dev/null | sed 's/^# //')"
  echo "refs           ${WIZARD_REFS:-../shared/refs/public}$( [ -d "${WIZARD_REFS:-../shared/refs/public}" ] || echo ' (MISSING: golden tests find no case)')"
  echo
  local tests
  tests="$(first_match "$logs/tests.log" 'tests passed, .* tests failed out of')"
  echo "tests          ${tests:-did not run}"
  grep -E '^\s+[0-9]+ - .*\((Failed|Timeout|SEGFAULT|Subprocess|Exception|Not Run)' \
    "$logs/tests.log" 2>/dev/null | head -20 | sed 's/^ */                 failed: /'
  echo "quickstart     $(first_match "$logs/quickstart.log" 'first evaluation -> last')"
  grep -A4 'first evaluation -> last' "$logs/quickstart.log" 2>/dev/null | tail -n +2 |
    grep . | sed 's/^ */                 /'
  echo "bench          Qwen2.5-0.5B shape, --synthetic --baseline ${bench_args[*]}"
  first_match "$logs/bench.log" 'GEMM rate' | sed 's/^/                 /'
  wizard_block | grep -E 'non-padding tokens/s|peak|model FLOP/s' | sed 's/^ */                 wizard: /'
  first_match "$logs/bench.log" '^wizard / baseline' | sed 's/^/                 /'
  echo
  local phase
  for phase in "${phases[@]}"; do
    # shellcheck disable=SC2086  # "name seconds status"
    printf '%-14s %s s  %s\n' $phase
  done
  echo "total          $((SECONDS - started)) s; logs in $logs"
  echo "result         $([ "$failures" -eq 0 ] && echo PASSED || echo "FAILED ($failures phase(s))")"
}
summary | tee "$logs/summary.txt"
[ "$failures" -eq 0 ]
