#!/usr/bin/env bash
# usage: out_of_tree_plugin_test.sh BUILD_DIR PLUGIN_SOURCE_DIR
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
echo "$help" | grep -q "gamma" || fail "help does not show the plugin's options"
echo "out-of-tree plugin OK"
