#!/usr/bin/env bash
# Generation speed, wizard against transformers' generate(), back to back on the same model,
# the same torch and the same threads (docs/performance.md, "Generation").
#
#   scripts/bench_generate.sh [MODEL_DIR] [extra bench-generate options...]
#
# MODEL_DIR (default runs/bench-qwen2.5-0.5b) is made with `wizard init-model --preset
# qwen2.5-0.5b` when missing. transformers runs in $WIZARD_HF_PYTHON (default .venv-hf/bin/python:
# a venv that sees .venv's torch, made by this script when missing, with transformers from PyPI).
# Settings: BATCH (1,16), PROMPT_LENGTH (128), NEW_TOKENS (32), DTYPE (bfloat16), THREADS (all).
set -euo pipefail
cd "$(dirname "$0")/.."

model="${1:-runs/bench-qwen2.5-0.5b}"
shift || true
wizard="${WIZARD_BUILD_DIR:-build}/bin/wizard"
batch="${BATCH:-1,16}"
prompt_length="${PROMPT_LENGTH:-128}"
new_tokens="${NEW_TOKENS:-32}"
dtype="${DTYPE:-bfloat16}"
threads="${THREADS:-$(nproc)}"

if [ ! -f "$model/config.json" ]; then
  "$wizard" init-model "$model" --preset qwen2.5-0.5b --dtype "$dtype"
fi

hf_python="${WIZARD_HF_PYTHON:-.venv-hf/bin/python}"
if ! "$hf_python" -c "import transformers" 2>/dev/null; then
  echo "bench: making .venv-hf (transformers over .venv's torch)"
  base="$(.venv/bin/python -c 'import sys; print(sys.base_prefix)')/bin/python3"
  "$base" -m venv .venv-hf
  site="$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  hf_site="$(.venv-hf/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  echo "$site" > "$hf_site/wizard_torch.pth"  # the same torch, not a second copy
  .venv-hf/bin/python -m pip install --quiet transformers
  hf_python=.venv-hf/bin/python
fi

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
"$wizard" bench-generate "$model" --batch "$batch" --prompt-length "$prompt_length" \
  --new-tokens "$new_tokens" --dtype "$dtype" --threads "$threads" "$@" | tee /tmp/wizard-bench-generate.$$
"$hf_python" scripts/bench_generate_transformers.py "$model" --batch "$batch" \
  --prompt-length "$prompt_length" --new-tokens "$new_tokens" --dtype "$dtype" \
  --threads "$threads" | tee -a /tmp/wizard-bench-generate.$$
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# wizard / transformers per batch size, from the lines above.
python3 - /tmp/wizard-bench-generate.$$ <<'PY'
import re, sys
rates = {}
for line in open(sys.argv[1]):
    m = re.match(r"(wizard|transformers) batch (\d+): prompt ([\d.]+) tokens/s .* decode "
                 r"([\d.]+) tokens/s \(([\d.]+) ms per step, ([\d.]+) ms processor time", line)
    if m:
        rates[(m.group(1), int(m.group(2)))] = [float(m.group(i)) for i in (3, 4, 6)]
for batch in sorted({b for _, b in rates}):
    w, t = rates.get(("wizard", batch)), rates.get(("transformers", batch))
    if w and t:
        print(f"batch {batch}: wizard / transformers = {w[1] / t[1]:.2f}x decode tokens/s, "
              f"{t[2] / max(w[2], 1e-9):.2f}x less processor time per step, "
              f"{w[0] / t[0]:.2f}x prompt tokens/s")
PY
rm -f /tmp/wizard-bench-generate.$$
