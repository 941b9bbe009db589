#!/usr/bin/env bash
# Take a headless Chromium screenshot of an HTML report, to check how it really looks.
#   scripts/screenshot-report.sh REPORT.html OUT.png [WIDTH,HEIGHT]     (default 1200,1600)
# Offline on purpose: no network, no sync, no component updates; a throw-away profile each time.
set -euo pipefail
if [[ $# -lt 2 ]]; then
  echo "usage: $0 REPORT.html OUT.png [WIDTH,HEIGHT]" >&2
  exit 2
fi
report=$(realpath "$1")
out=$(realpath -m "$2")
size=${3:-1200,1600}
[[ -f $report ]] || { echo "$0: no such file: $1" >&2; exit 2; }
browser=$(command -v chromium || command -v chromium-browser || true)
[[ -n $browser ]] || { echo "$0: chromium is not installed (apt-get install chromium)" >&2; exit 3; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --screenshot="$out" --window-size="$size" \
  "file://$report" >/dev/null 2>&1
[[ -s $out ]] || { echo "$0: chromium wrote no screenshot" >&2; exit 4; }
echo "$out"
