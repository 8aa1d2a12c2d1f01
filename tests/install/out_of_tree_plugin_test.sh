#!/usr/bin/env bash
# usage: out_of_tree_plugin_test.sh BUILD_DIR PLUGIN_SOURCE_DIR
# Installs the build tree, builds examples/custom_plugin (a loss with rules of its own) against
# the installed SDK, lists it, and trains a tiny model with it through the installed wizard.
set -euo pipefail
build_dir="$1"
plugin_src="$2"
work="$(mktemp -d /tmp/wizard-install-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" > "$work/install.log"
generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi
cmake -S "$plugin_src" -B "$work/plugin" "${generator[@]}" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=Release > "$work/configure.log"
cmake --build "$work/plugin" > "$work/build.log"

wizard="$work/prefix/bin/wizard"
fail() { echo "FAIL: $*" >&2; exit 1; }

# The installed host finds its built-in plugins next to itself...
"$wizard" plugins | grep -q "jsonl" || fail "installed wizard does not list its built-in plugins"
# ...and the out-of-tree plugin through WIZARD_PLUGIN_PATH.
listing="$(WIZARD_PLUGIN_PATH="$work/plugin" "$wizard" plugins --kind loss)"
echo "$listing"
echo "$listing" | grep -q "FocalSigmoid.*my_losses.*1.0.0" || fail "FocalSigmoid not listed"
help="$(WIZARD_PLUGIN_PATH="$work/plugin" "$wizard" help my_losses.FocalSigmoid)"
echo "$help"
echo "$help" | grep -q "length_power" || fail "help does not show the plugin's options"

# It trains: a tiny random model on generated uppercase pairs, 30 steps with the plugin's loss.
"$wizard" init-model "$work/model" --hidden_size 64 --num_hidden_layers 2 --seed 3 \
  > "$work/init.log" 2>&1 || { cat "$work/init.log"; fail "init-model failed"; }
mkdir "$work/run"
cat > "$work/run/config.toml" <<TOML
spec_class = "cpo"

[transformer_spec]
pretrained_name = "$work/model"

[dataset_spec]
spec_class = "synthetic"
rows = 400
word_length = [3, 5]

[training_args_spec]
output_dir = "out"
bf16 = false
per_device_train_batch_size = 8
learning_rate = 5e-3
logging_steps = 1
max_steps = 30
save_strategy = "no"
eval_strategy = "no"
loss_type = "my_losses.FocalSigmoid"
beta = 0.1
gamma = 2.0
length_power = 0.5
TOML
(cd "$work/run" && WIZARD_PLUGIN_PATH="$work/plugin" "$wizard" run config.toml) \
  > "$work/run.log" 2>&1 || { tail -30 "$work/run.log"; fail "training with FocalSigmoid failed"; }
metrics="$work/run/out/metrics.jsonl"
grep -q '"focal/weight":' "$metrics" || fail "metrics.jsonl has no focal/weight (the plugin's metric)"
# The loss of the first logged step against the mean of the last five.
losses="$(grep -o '"loss":[-0-9.eE+]*' "$metrics" | cut -d: -f2)"
[ "$(echo "$losses" | wc -l)" -ge 30 ] || fail "expected 30 logged losses, got: $losses"
echo "$losses" | awk '
  NR == 1 { first = $1 } { last[NR % 5] = $1 }
  END {
    for (i in last) sum += last[i]; mean = sum / 5
    printf "loss: first step %.4f, mean of the last five %.4f\n", first, mean
    exit !(mean < 0.8 * first)
  }' || fail "the loss did not fall"
echo "out-of-tree plugin OK"
