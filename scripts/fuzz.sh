#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz: clang, AddressSanitizer, UndefinedBehaviorSanitizer)
# and runs each on a corpus seeded from the examples and ../shared.
#
#   scripts/fuzz.sh [seconds-per-harness]   explore: SECONDS each (default 40), a random seed
#   scripts/fuzz.sh --ci [runs-per-harness] CI: a fixed seed and RUNS inputs each (default
#                                           20000), so a given tree finds the same inputs on
#                                           every machine and a red CI can be reproduced
#
# Build folder: $WIZARD_FUZZ_BUILD_DIR (default build-fuzz). The corpus grows in
# <build>/corpus/<harness> across runs; a crash leaves its input in <build>/artifacts/<harness>/
# and the script fails, naming it. Reproduce one with: <build>/fuzz_<harness> <input>.
# Fixed crashes become GoogleTest regression tests in the normal suites.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--ci" ]]; then
  budget=(-seed=1 -runs="${2:-20000}")
  what="${2:-20000} runs"
else
  budget=(-max_total_time="${1:-40}")
  what="${1:-40}s"
fi
build="${WIZARD_FUZZ_BUILD_DIR:-build-fuzz}"
shared="${WIZARD_SHARED:-$(cd .. && pwd)/shared}"
harnesses=(config rows safetensors_header tokenizer_json tokenizer_config chat_template)

generator=()
if command -v ninja >/dev/null && [[ ! -f "$build/CMakeCache.txt" ]]; then generator=(-G Ninja); fi
cmake -S tests/fuzz -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER="${CXX_FUZZ:-clang++}" >/dev/null
cmake --build "$build" --parallel "$(nproc)"

rm -rf "$build/seeds"
python3 tests/fuzz/make_seeds.py "$build/seeds" "$shared"

failed=()
for harness in "${harnesses[@]}"; do
  exe="$build/fuzz_$harness"
  if [[ ! -x "$exe" ]]; then
    echo "fuzz: $harness not built (see the CMake output above); skipped"
    continue
  fi
  mkdir -p "$build/corpus/$harness" "$build/artifacts/$harness" "$build/seeds/$harness"
  echo "fuzz: $harness for $what"
  # -timeout: an input taking 10 s is a hang; -rss_limit_mb: one taking 2 GB a memory bomb.
  if ! "$exe" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$harness/" \
      "$build/corpus/$harness" "$build/seeds/$harness" 2>"$build/$harness.log"; then
    failed+=("$harness")
    tail -n 40 "$build/$harness.log"
  else
    grep -E "^(stat::number_of_executed_units|stat::new_units_added)" "$build/$harness.log" || true
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: crashes in ${failed[*]}; inputs in $build/artifacts/"
  exit 1
fi
echo "fuzz: no crashes"
