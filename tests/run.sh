#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the release build (unit, integration,
# fault tests) and the AddressSanitizer + UBSan build of the same tests.
# TOUCHSTREAM_SKIP_ASAN=1 skips the sanitizer build (for a quick local run).
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/setup.sh

run_suite() {
  local preset=$1
  echo "=== ${preset}: configure and build"
  cmake --preset "${preset}" >/dev/null
  cmake --build "build/${preset}" -j 2
  echo "=== ${preset}: test"
  ctest --preset "${preset}"
}

run_suite release
if [ "${TOUCHSTREAM_SKIP_ASAN:-0}" != "1" ]; then
  run_suite asan
fi
echo "=== format check"
if command -v clang-format >/dev/null; then
  git ls-files '*.h' '*.cc' | xargs clang-format --dry-run -Werror
fi
