#!/usr/bin/env bash
# Installs everything the exporter needs to build, run and test, from Debian's
# packages only. Idempotent: packages already present are skipped, so a second
# run costs a few seconds and no network.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build
  prometheus-cpp-dev libmicrohttpd-dev libgnutls28-dev libcurl4-openssl-dev
  # The fake APIs and the simulator (tests/fakes) run on civetweb.
  libcivetweb-dev
  nlohmann-json3-dev libsimdjson-dev libyaml-cpp-dev libcrypt-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  curl ca-certificates
  # The fuzz targets (scripts/fuzz.sh): Debian's clang 16 and its libFuzzer runtime.
  clang-16 libclang-rt-16-dev
)
# promtool and a real Prometheus server for the end-to-end tests; wrk for
# the /metrics latency benchmark (scripts/bench.sh); python3 for the
# dashboard and code-shape checks.
# openssl makes the certificates of the TLS tests.
test_packages=(prometheus wrk python3 openssl)

missing=()
for p in "${packages[@]}" "${test_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: all build and test dependencies are installed"
