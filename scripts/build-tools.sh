#!/usr/bin/env bash
# Builds the real tools the tests run, each at the version the stack pins, into .cache/<tool>-<version>/
# (npm test's pretest step). Each build is skipped when its binary exists. Needs Go 1.26 or newer
# (on macOS: brew install go). A failed build fails CI (CI=true); locally it warns loudly, and the
# tests that need the tool are skipped with the same warning.
set -uo pipefail
cd "$(dirname "$0")/.."

failed=()
for tool in prometheus pulumi otelcol; do
    bash "scripts/build-$tool.sh" || failed+=("$tool")
done
[ ${#failed[@]} -eq 0 ] && exit 0

printf '\n*** Could not build: %s (see the messages above).\n' "${failed[*]}" >&2
if [ -n "${CI:-}" ]; then exit 1; fi
printf '*** The tests that need them will be SKIPPED (they fail in CI).\n\n' >&2
