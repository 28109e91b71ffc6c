#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time from its seed corpus (tests/fuzz/CMakeLists.txt):
#   run_fuzz.sh BINARY SECONDS SEED_DIR WORK_DIR [DICTIONARY]
# New inputs go to WORK_DIR (emptied first), never to the checked-in seeds. Exits non-zero on a
# crash, a leak, a timeout of one input or a sanitizer report (libFuzzer's own exit codes); the
# crashing input is written to WORK_DIR/crash-* and its path printed.
set -euo pipefail
binary=$1 seconds=$2 seeds=$3 work=$4 dict=${5:-}
rm -rf "${work}"
mkdir -p "${work}/new"
args=(-max_total_time="${seconds}" -timeout=10 -rss_limit_mb=2048 -max_len=8192
  -print_final_stats=1 -artifact_prefix="${work}/")
if [ -n "${dict}" ]; then args+=(-dict="${dict}"); fi
exec "${binary}" "${args[@]}" "${work}/new" "${seeds}"
