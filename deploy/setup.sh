#!/usr/bin/env bash
# Installs the Debian bookworm packages Touchstream needs to build, test and run the demo.
# Idempotent: packages already present are skipped; nothing is downloaded outside apt.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache clang-format
  librdkafka-dev librocksdb-dev libprotobuf-dev protobuf-compiler
  prometheus-cpp-dev libboost-dev libboost-system-dev libboost-program-options-dev
  libyaml-cpp-dev nlohmann-json3-dev libhowardhinnant-date-dev tzdata libnlopt-cxx-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libfuzzer-14-dev  # the asan preset builds with clang-14; tests/fuzz links libFuzzer
  kcat python3-kafka curl
  libssl-dev openssl  # admin API TLS (Boost.Asio SSL), token hashes; openssl makes the test CA
  systemd  # systemd-analyze verifies deploy/systemd/touchstream.service (tests/deploy)
  prometheus  # promtool (rules checks) and the server (tests/ops/prometheus_test.cc)
  chromium  # the web console's browser test (tests/integration/console_browser_test.cc)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: not root; run as root or install: apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
