#!/usr/bin/env bash
# Sets up, builds and runs the exporter on :9787.
# With JETEMAIL_API_TOKEN or MAILTRAP_API_TOKEN set, it uses config.yaml (copy
# config.example.yaml and fill in your accounts). Without them it starts the
# built-in simulator on 127.0.0.1:8025 and points the exporter at it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DELE_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" --target email_logs_exporter email_logs_simulator

if [[ -n "${JETEMAIL_API_TOKEN:-}${MAILTRAP_API_TOKEN:-}" ]]; then
  exec build/release/exporter/email_logs_exporter --config.file="${CONFIG_FILE:-config.yaml}" "$@"
fi

echo "No JETEMAIL_API_TOKEN or MAILTRAP_API_TOKEN set: running against the built-in simulator." >&2
export SIM_JETEMAIL_TOKEN=sim-jetemail-token SIM_MAILTRAP_TOKEN=sim-mailtrap-token
build/release/tests/fakes/email_logs_simulator --listen=127.0.0.1:8025 &
simulator=$!
trap 'kill "$simulator" 2>/dev/null; wait "$simulator" 2>/dev/null' EXIT
echo "Open http://localhost:9787/ for the landing page, http://localhost:9787/metrics for the metrics." >&2
build/release/exporter/email_logs_exporter --config.file=deploy/simulator.yaml "$@"
