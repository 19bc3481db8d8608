#!/usr/bin/env bash
# Takes docs/landing-page.png: the landing page of the exporter running
# against the built-in simulator, rendered by headless Chromium.
#
#   bash scripts/screenshot.sh            # needs chromium (apt-get install chromium)
#   BUILD_DIR=build/other bash scripts/screenshot.sh
#
# Starts the simulator and the exporter like scripts/run.sh (on free loopback
# ports), waits until every account finished its first cycle and one more,
# takes the screenshot and stops both by their pids. Not part of the tests:
# CI needs no browser.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build/release}
out=${OUTPUT:-docs/landing-page.png}
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [[ -z "$chromium" ]]; then
  echo "screenshot: chromium not found; install it with: apt-get install chromium" >&2
  exit 1
fi
if [[ ! -x "$build/exporter/email_logs_exporter" || ! -x "$build/tests/fakes/email_logs_simulator" ]]; then
  bash scripts/setup.sh
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DELE_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build" -j"$(nproc)" --target email_logs_exporter email_logs_simulator
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Prints the address= a process logged to $1, waiting up to 30 s.
address_in() {
  for _ in $(seq 300); do
    if grep -qo 'address=127\.0\.0\.1:[0-9]*' "$1"; then
      grep -o 'address=127\.0\.0\.1:[0-9]*' "$1" | head -n1 | cut -d= -f2
      return 0
    fi
    sleep 0.1
  done
  echo "screenshot: no address in $1:" >&2
  cat "$1" >&2
  return 1
}

export SIM_JETEMAIL_TOKEN=sim-jetemail-token SIM_MAILTRAP_TOKEN=sim-mailtrap-token
"$build/tests/fakes/email_logs_simulator" --listen=127.0.0.1:0 2>"$work/simulator.log" &
pids+=($!)
simulator=$(address_in "$work/simulator.log")
sed "s#http://127.0.0.1:8025#http://$simulator#" deploy/simulator.yaml >"$work/config.yaml"
"$build/exporter/email_logs_exporter" --config.file="$work/config.yaml" --web.listen-address=127.0.0.1:0 \
  >"$work/exporter.log" 2>&1 &
pids+=($!)
exporter=$(address_in "$work/exporter.log")
echo "screenshot: simulator on $simulator, exporter on $exporter" >&2

# Ready once every account finished its first cycle; one interval more shows
# a recent success and some budget use.
for _ in $(seq "${READY_TIMEOUT_SECONDS:-300}"); do
  curl -fsS -o /dev/null "http://$exporter/-/ready" 2>/dev/null && break
  sleep 1
done
curl -fsS -o /dev/null "http://$exporter/-/ready"
sleep "${SETTLE_SECONDS:-12}"

mkdir -p "$(dirname "$out")"
sandbox=()
[[ $EUID -eq 0 ]] && sandbox=(--no-sandbox)  # Chromium refuses to run as root with its sandbox
"$chromium" --headless "${sandbox[@]}" --disable-gpu --hide-scrollbars --window-size=1200,800 \
  --screenshot="$PWD/$out" "http://$exporter/" 2>"$work/chromium.log" || {
  cat "$work/chromium.log" >&2
  exit 1
}
echo "screenshot: wrote $out" >&2
