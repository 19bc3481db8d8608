#!/usr/bin/env bash
# Builds the benchmarks (Release, build/bench) and runs them all, then prints
# what | measured | target | ok?. Takes a few minutes; figures are for one
# core of this machine, and wall-clock ones suffer when it is busy.
#   bash scripts/bench.sh            # everything
#   BENCH_SKIP_BUILD=1 bash scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$root/build/bench
[[ -n ${BENCH_SKIP_SETUP:-} ]] || bash scripts/setup.sh >/dev/null
if [[ -z ${BENCH_SKIP_BUILD:-} ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DELE_BUILD_BENCHMARKS=ON >/dev/null
  cmake --build "$build" -j2 --target email_logs_exporter ingest_bench memory_bench state_file_bench scrape_bench \
    api_cost_bench metrics_server
fi
bin=$build/benchmarks
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run() {  # run NAME BINARY FILTER: Google Benchmark JSON into $out/NAME.json
  echo "bench: $1" >&2
  "$bin/$2" --benchmark_filter="$3" --benchmark_format=json >"$out/$1.json" 2>"$out/$1.log"
}
# Field `key` of the benchmark whose name starts with `prefix`.
get() { jq -r --arg p "$2" --arg k "$3" '[.benchmarks[] | select(.name | startswith($p))][0][$k]' "$out/$1.json"; }

run ingest ingest_bench '.'
run mem_jet memory_bench '^JetEmailMemoryPerMessage/'
run mem_mt memory_bench '^MailtrapMemoryPerMessage/'
for provider in JetEmail Mailtrap; do
  for n in 100000 300000 2000000; do run "scale_${provider}_$n" memory_bench "^${provider}MemoryScaling/$n/"; done
done
run state state_file_bench '.'
run scrape scrape_bench '.'
run api api_cost_bench '.'

# Idle RSS: the real binary, one JetEmail and one Mailtrap account whose
# APIs are unreachable, nothing tracked.
echo "bench: idle RSS" >&2
cat >"$out/idle.yaml" <<YAML
collection: {interval: 60s}
state_file: ""
jetemail:
  - {name: main, api_token_env: BENCH_TOKEN, base_url: "http://127.0.0.1:9"}
mailtrap:
  - {name: prod, account_id: 1, api_token_env: BENCH_TOKEN, base_url: "http://127.0.0.1:9"}
YAML
BENCH_TOKEN=x "$build/exporter/email_logs_exporter" --config.file="$out/idle.yaml" \
  --web.listen-address=127.0.0.1:0 --log.level=error >"$out/idle.log" 2>&1 &
exporter=$!
sleep 5
idle_kib=$(awk '/^VmRSS/ {print $2}' "/proc/$exporter/status")
kill "$exporter"; wait "$exporter" 2>/dev/null || true
# The floor under it: a C program that only initialises Debian's libcurl
# (which loads OpenSSL, GnuTLS, Kerberos, LDAP, ...) and makes one request.
cat >"$out/curl_floor.c" <<'C'
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, "http://127.0.0.1:9/");
  curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  FILE* status = fopen("/proc/self/status", "r");
  char line[256];
  while (fgets(line, sizeof line, status)) if (strncmp(line, "VmRSS:", 6) == 0) fputs(line + 6, stdout);
  return 0;
}
C
cc -O2 -o "$out/curl_floor" "$out/curl_floor.c" -lcurl
curl_floor_kib=$("$out/curl_floor" | awk '{print $1}')

# /metrics p99 with 10,000 series, 32 connections, through the exporter's
# own web server.
echo "bench: /metrics under wrk -c 32" >&2
"$bin/metrics_server" 10000 >"$out/server.log" 2>&1 &
server=$!
for _ in $(seq 50); do grep -q listening "$out/server.log" && break; sleep 0.1; done
address=$(awk '/listening on/ {print $3}' "$out/server.log")
series=$(awk '/listening on/ {print $5}' "$out/server.log")
# With Accept-Encoding: gzip, as Prometheus scrapes.
wrk -t 2 -c 32 -d 10s --latency -H "Accept-Encoding: gzip" "http://$address/metrics" >"$out/wrk.txt"
kill "$server"; wait "$server" 2>/dev/null || true
p99=$(awk '$1 == "99%" {print $2}' "$out/wrk.txt")
p99_ms=$(echo "$p99" | awk '/us$/ {sub("us",""); print $1/1000; next} /ms$/ {sub("ms",""); print $1; next} /s$/ {sub("s",""); print $1*1000}')
rps=$(awk '/Requests\/sec/ {print $2}' "$out/wrk.txt")

row() {  # row WHAT MEASURED TARGET OK
  printf '| %-58s | %22s | %14s | %-4s |\n' "$1" "$2" "$3" "$4"
}
ok() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { print ((op == "ge" ? v >= t : v <= t) ? "yes" : "NO") }'; }
fmt() { awk -v v="$1" -v d="${2:-0}" 'BEGIN { printf "%.*f", d, v }'; }

jet_ingest=$(get ingest JetEmailIngest items_per_second)
mt_ingest=$(get ingest MailtrapIngest items_per_second)
jet_page=$(get ingest JetEmailIngest page_bytes)
mem_jet=$(get mem_jet JetEmailMemoryPerMessage bytes_per_message)
mem_mt=$(get mem_mt MailtrapMemoryPerMessage bytes_per_message)
idle_mib=$(awk -v k="$idle_kib" 'BEGIN { print k / 1024 }')
render=$(get scrape MetricsRender/10000 real_time)
jet_save=$(get state JetEmailStateFileSave real_time)
jet_load=$(get state JetEmailStateFileLoad real_time)
jet_file=$(get state JetEmailStateFileSave file_mib)
jet_compact=$(get state JetEmailStateFileCompact real_time)
mt_compact=$(get state MailtrapStateFileCompact real_time)
bytes_per_minute=$(get state JetEmailStateFileBytesPerMinute bytes_per_minute)
mt_save=$(get state MailtrapStateFileSave real_time)
mt_load=$(get state MailtrapStateFileLoad real_time)
mt_file=$(get state MailtrapStateFileSave file_mib)
jet_api=$(get api JetEmailApiCost requests_per_cycle)
mt_api=$(get api MailtrapApiCost requests_per_cycle)
# JetEmail's in-flight re-reads: none, one 22 h old, 200 over 22 h deferred
# (busy inbound account, interval 5 s, 120 requests a minute).
for n in 0 1 200; do
  declare "flight_rpm_$n=$(get api "JetEmailInFlightCost/$n/" requests_per_minute)"
  declare "flight_lag_$n=$(awk -v a="$(get api "JetEmailInFlightCost/$n/" max_lag_s)" -v b="$(get api "JetEmailInFlightCost/$n/" max_open_lag_s)" 'BEGIN { print (a > b ? a : b) }')"
done
flight_one_max=$(awk -v r="$flight_rpm_0" 'BEGIN { print 1.3 * r + 1 }')

echo
row "what" "measured" "target" "ok?"
echo "|$(printf -- '-%.0s' $(seq 60))|$(printf -- '-%.0s' $(seq 24))|$(printf -- '-%.0s' $(seq 16))|------|"
row "ingest, JetEmail (1,000 entries, $(fmt "$(awk -v b="$jet_page" 'BEGIN{print b/1e6}')" 2) MB page), entries/s" "$(fmt "$jet_ingest")" ">= 500000" "$(ok "$jet_ingest" ge 500000)"
row "ingest, Mailtrap (1,000 messages), messages/s" "$(fmt "$mt_ingest")" ">= 1000000" "$(ok "$mt_ingest" ge 1000000)"
row "memory per tracked message, JetEmail (1M), bytes" "$(fmt "$mem_jet" 1)" "<= 80" "$(ok "$mem_jet" le 80)"
row "memory per tracked message, Mailtrap (1M), bytes" "$(fmt "$mem_mt" 1)" "<= 80" "$(ok "$mem_mt" le 80)"
row "idle RSS, 2 accounts, nothing tracked, MiB" "$(fmt "$idle_mib" 1)" "<= 12" "$(ok "$idle_mib" le 12)"
row "  of which the floor: libcurl alone in a C program, MiB" "$(fmt "$(awk -v k="$curl_floor_kib" 'BEGIN { print k / 1024 }')" 1)" "(info)" ""
row "/metrics p99, $series series, wrk -c 32, ms ($(fmt "$rps") req/s)" "$(fmt "$p99_ms" 2)" "<= 5" "$(ok "$p99_ms" le 5)"
row "/metrics render of 10,000 series (after a publish), ms" "$(fmt "$render" 2)" "(info)" ""
row "state file save (journal), JetEmail 1M messages, ms" "$(fmt "$jet_save")" "<= 300" "$(ok "$jet_save" le 300)"
row "state file compaction, JetEmail 1M messages, ms" "$(fmt "$jet_compact")" "<= 300" "$(ok "$jet_compact" le 300)"
row "state file recovery (+10 records), JetEmail 1M, ms" "$(fmt "$jet_load")" "<= 300" "$(ok "$jet_load" le 300)"
row "state file size, JetEmail 1M messages, MiB" "$(fmt "$jet_file" 1)" "<= 64 MB" "$(ok "$jet_file" le 61)"
row "state file save (journal), Mailtrap 1M messages, ms" "$(fmt "$mt_save")" "<= 300" "$(ok "$mt_save" le 300)"
row "state file compaction, Mailtrap 1M messages, ms" "$(fmt "$mt_compact")" "<= 300" "$(ok "$mt_compact" le 300)"
row "state file recovery (+10 records), Mailtrap 1M, ms" "$(fmt "$mt_load")" "<= 300" "$(ok "$mt_load" le 300)"
row "state file size, Mailtrap 1M messages, MiB" "$(fmt "$mt_file" 1)" "<= 64 MB" "$(ok "$mt_file" le 61)"
row "state writes, 50k tracked, 10 new/s, 5s interval, MB/min" "$(fmt "$(awk -v b="$bytes_per_minute" 'BEGIN { print b / 1e6 }')" 2)" "<= 3.3" "$(ok "$(awk -v b="$bytes_per_minute" 'BEGIN { print b / 1e6 }')" le 3.3)"
row "API cost, JetEmail steady state, requests/cycle" "$(fmt "$jet_api" 1)" "<= 2" "$(ok "$jet_api" le 2)"
row "API cost, Mailtrap steady state, requests/cycle" "$(fmt "$mt_api" 1)" "<= 2" "$(ok "$mt_api" le 2)"
row "API cost, JetEmail, nothing deferred, requests/min (lag s)" "$(fmt "$flight_rpm_0" 1) ($(fmt "$flight_lag_0" 1))" "(baseline)" ""
row "API cost, JetEmail, one deferred 22 h old, requests/min" "$(fmt "$flight_rpm_1" 1)" "<= $(fmt "$flight_one_max" 1)" "$(ok "$flight_rpm_1" le "$flight_one_max")"
row "  its lag (new and open parts), s" "$(fmt "$flight_lag_1" 1)" "<= 10" "$(ok "$flight_lag_1" le 10)"
row "API cost, JetEmail, 200 deferred over 22 h, requests/min" "$(fmt "$flight_rpm_200" 1)" "<= 60" "$(ok "$flight_rpm_200" le 60)"
row "  its lag (new and open parts), s" "$(fmt "$flight_lag_200" 1)" "<= 10" "$(ok "$flight_lag_200" le 10)"
echo
echo "Scaling (see README, Performance):"
for provider in JetEmail Mailtrap; do
  for n in 100000 300000 2000000; do
    echo "  memory $provider, $n tracked: $(fmt "$(get "scale_${provider}_$n" "${provider}MemoryScaling" bytes_per_message)" 1) bytes a message"
  done
done
jq -r '.benchmarks[] | select(.name | startswith("JetEmailIngestBySize")) | "  ingest JetEmail, \(.name | split("/")[1]) entries a page: \(.items_per_second | floor) entries/s"' "$out/ingest.json"
jq -r '.benchmarks[] | select(.name | startswith("MetricsRender")) | "  render \(.series | floor) series: \(.real_time * 100 | floor / 100) ms"' "$out/scrape.json"
