#!/usr/bin/env bash
# One command for the whole demo on a fresh Debian bookworm machine (as root):
# installs what is missing, builds, starts the embedded development broker, streams synthetic
# customer journeys, runs the engine, prints the actions and keeps metrics up until Ctrl-C.
# Extra arguments go to `touchstream demo` (see `touchstream demo --help`).
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/setup.sh
cmake --preset release >/dev/null
cmake --build build/release --target touchstream
exec build/release/engine/cli/touchstream demo --config deploy/config/demo.yaml "$@"
