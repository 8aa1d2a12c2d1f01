#!/usr/bin/env bash
# Builds wizard with its tests and runs them all through ctest.
# Golden tests read ../shared/refs/public beside the checkout, or $WIZARD_REFS.
# Extra arguments go to ctest, e.g. -L unit, -R Tokenizer, -LE slow.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/build.sh -DWIZARD_BUILD_TESTS=ON
# A failing test runs once more before it counts as failed (both outputs are printed): the
# chat test driven through tmux (ChatCli.AConversationTypedIntoATerminal) has twice, in
# full parallel runs, found `wizard chat` not exited 60 s after /exit; passes alone and under
# load. Open bug; a test that fails twice still fails the run.
ctest --test-dir "${WIZARD_BUILD_DIR:-build}" --output-on-failure --parallel "$(nproc)" \
  --repeat until-pass:2 "$@"
