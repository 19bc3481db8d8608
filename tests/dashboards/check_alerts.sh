#!/usr/bin/env bash
# Checks the alerting rules: syntax (promtool check rules), behaviour (promtool
# test rules on alerts/tests/*.yml), and that every alert has at least one test
# case where it fires and one where it does not.
#
# Usage: check_alerts.sh [REPO_ROOT]
# Exit status: 0 all good, 1 a check failed, 77 promtool is not installed.
set -euo pipefail

root=${1:-"$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"}
cd "$root"
promtool=${PROMTOOL:-$(command -v promtool || true)}
if [[ -z "$promtool" ]]; then
  echo "alert_rules: SKIP: promtool not found (install the 'prometheus' package or set PROMTOOL)"
  exit 77
fi

shopt -s nullglob
rule_files=(alerts/*.rules.yml)
test_files=(alerts/tests/*.yml)
if (( ${#rule_files[@]} == 0 )); then
  echo "alert_rules: FAIL: no alerts/*.rules.yml in $root"
  exit 1
fi
if (( ${#test_files[@]} == 0 )); then
  echo "alert_rules: FAIL: no alerts/tests/*.yml in $root"
  exit 1
fi

if ! "$promtool" check rules "${rule_files[@]}"; then
  echo "alert_rules: FAIL: promtool check rules rejected ${rule_files[*]}"
  exit 1
fi
if ! "$promtool" test rules "${test_files[@]}"; then
  echo "alert_rules: FAIL: promtool test rules failed"
  exit 1
fi

# Coverage: in the tests, an "alertname: X" line is followed by "exp_alerts: []"
# (X must not fire) or by "exp_alerts:" and a list (X must fire).
alerts=$(sed -n 's/^[[:space:]]*-[[:space:]]*alert:[[:space:]]*\([A-Za-z0-9_]*\).*/\1/p' "${rule_files[@]}" | sort -u)
coverage=$(awk '
  /^[[:space:]]*alertname:/ { name = $2; next }
  /^[[:space:]]*exp_alerts:[[:space:]]*\[\][[:space:]]*$/ { if (name != "") quiet[name]++; name = ""; next }
  /^[[:space:]]*exp_alerts:[[:space:]]*$/ { if (name != "") fired[name]++; name = ""; next }
  END { for (n in fired) print n, "fires"; for (n in quiet) print n, "quiet" }
' "${test_files[@]}")
missing=0
for alert in $alerts; do
  for kind in fires quiet; do
    if ! grep -qx "$alert $kind" <<<"$coverage"; then
      if [[ $kind == fires ]]; then
        echo "alert_rules: $alert has no test case in which it fires"
      else
        echo "alert_rules: $alert has no test case in which it stays quiet (exp_alerts: [])"
      fi
      missing=1
    fi
  done
done
if (( missing )); then
  echo "alert_rules: FAIL: every alert needs a firing and a quiet test case in alerts/tests/"
  exit 1
fi

n_alerts=$(wc -w <<<"$alerts")
echo "alert_rules: OK: $n_alerts alerts in ${#rule_files[@]} rule file(s), tested by ${#test_files[@]} file(s), each alert both firing and quiet"
