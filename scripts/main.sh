#!/usr/bin/env bash
# The main job: set up, then audit this machine as an RT/NFV host.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?
set -x
npx kvm4nfv inspect
npx kvm4nfv check --role host
