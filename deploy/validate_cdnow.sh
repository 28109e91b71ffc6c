#!/usr/bin/env bash
# Validates `touchstream clv fit` on the CDNOW sample of Fader and Hardie: with the 39-week
# calibration period (1997-01-01 .. 1997-09-30) the fit must reproduce the published estimates to
# 3 significant digits (BG/NBD: Fader, Hardie and Lee 2005; Gamma-Gamma: Fader and Hardie's note;
# figures in ../shared/datasets/cdnow/README.md).
#
# usage: deploy/validate_cdnow.sh [TOUCHSTREAM_BINARY]
#   binary default: build/release/engine/cli/touchstream (built by `cmake --build build/release
#   --target touchstream`); data: $CDNOW_DIR, default ../shared/datasets/cdnow next to the repo.
# Exits 0 with a message when the data set is absent, 1 when a figure differs.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
binary="${1:-$repo/build/release/engine/cli/touchstream}"
data="${CDNOW_DIR:-$repo/../shared/datasets/cdnow}/CDNOW_sample.txt"

if [[ ! -f "$data" ]]; then
  echo "validate_cdnow: $data is not here; nothing to validate"
  exit 0
fi
if [[ ! -x "$binary" ]]; then
  echo "validate_cdnow: no touchstream binary at $binary (build it, or pass its path)" >&2
  exit 1
fi

start=$(date +%s.%N)
json=$("$binary" clv fit --transactions "$data" --format cdnow --calibration-end 1997-09-30 \
  --holdout-end 1998-06-30 --json)
end=$(date +%s.%N)

# The value of "key" in the object "section" of the one-line JSON report.
value() {
  local section=$1 key=$2
  sed -E "s/.*\"$section\":\\{([^}]*)\\}.*/\\1/" <<<"$json" | tr ',' '\n' |
    sed -n -E "s/^\"$key\":(.*)$/\\1/p"
}
three_digits() { awk -v v="$1" 'BEGIN { printf "%.3g", v }'; }
one_decimal() { awk -v v="$1" 'BEGIN { printf "%.1f", v }'; }

failures=0
# check SECTION KEY PUBLISHED [ROUNDING]: equal after rounding (default: 3 significant digits).
check() {
  local section=$1 key=$2 published=$3 round=${4:-three_digits}
  local fitted
  fitted=$(value "$section" "$key")
  if [[ -z "$fitted" ]]; then
    echo "FAIL $section.$key: missing from the report" >&2
    failures=$((failures + 1))
    return
  fi
  if [[ "$($round "$fitted")" == "$($round "$published")" ]]; then
    printf 'ok   %-28s fitted %-12s published %s\n' "$section.$key" "$($round "$fitted")" "$published"
  else
    printf 'FAIL %-28s fitted %-12s published %s\n' "$section.$key" "$fitted" "$published" >&2
    failures=$((failures + 1))
  fi
}

check bg_nbd r 0.243
check bg_nbd alpha 4.414
check bg_nbd a 0.793
check bg_nbd b 2.426
check bg_nbd log_likelihood -9582.4 one_decimal
check gamma_gamma p 6.25
check gamma_gamma q 3.74
check gamma_gamma gamma 15.44
customers=$(value gamma_gamma customers)
if [[ "$customers" != 946 ]]; then
  echo "FAIL gamma_gamma.customers: $customers, published 946" >&2
  failures=$((failures + 1))
fi

printf 'fit took %.2f s\n' "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"
if ((failures > 0)); then
  echo "validate_cdnow: $failures figure(s) differ from the published estimates" >&2
  exit 1
fi
echo "validate_cdnow: the published CDNOW estimates are reproduced to 3 significant digits"
