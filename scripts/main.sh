#!/usr/bin/env bash
# The main job: set up, audit this machine as an RT/NFV host, measure timer latency on the host with and
# without load, write the HTML report, then run the seeds' verify job (RT guest) in its quick form.
# Exits with the verify job's SLA verdict (0 met, 1 broken — expected under TCG, whose latencies are emulated).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?
k() { node bin/kvm4nfv.js "$@"; }
mkdir -p reports

# A measurement's exit code is its SLA verdict (0 met, 1 broken); anything else is an error.
timer() {
  local out=reports/.run.json rc
  k test timer --json "$@" > "$out"
  rc=$?
  if [ "$rc" -gt 1 ]; then exit "$rc"; fi
  node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).id)' "$out"
}

echo "== inspect"; k inspect
echo "== check --role host"; k check --role host
echo "== host timer test, idle (10 s)"; idle=$(timer --duration 10s) || exit $?
echo "== host timer test, cpu load (10 s)"; cpu=$(timer --duration 10s --load cpu) || exit $?
k results compare "$idle" "$cpu"
echo "== report"; k report "$idle" "$cpu" -o reports/host-timer.html
echo "report: $(pwd)/reports/host-timer.html"
echo "== run verify --quick (RT guest)"
k run verify --quick -o reports/verify-quick.html
