"""Resolve a stock tuned profile with tuned's own loader (Debian's python3 `tuned` modules) and print its units.

usage: /usr/bin/python3 bench/tuning-vs-tuned-resolve.py PROFILE ONLINE_CPUS ISOLATED_CORES

The loading is scripts/tuned_loader.py's (nothing applied, no daemon): PROFILE from /usr/lib/tuned with its whole
include chain, every option expanded by tuned's Variables. /sys/devices/system/cpu/online reads ONLINE_CPUS (the
node's online CPUs), and the stock /etc/tuned/*-variables.conf includes read isolated_cores=ISOLATED_CORES (the
node's isolated CPUs) instead of this host's file.
Prints {"units": {unit: {option: value}}, "errors": [...]} as JSON (an assertion tuned makes fails: "error").
"""

import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))

from tuned_loader import STOCK_PROFILES, resolve  # noqa: E402

name, online, isolated = sys.argv[1:4]
tmp = tempfile.mkdtemp(prefix="kvm4nfv-tuned-vars-")
try:
    vars_file = os.path.join(tmp, "variables.conf")
    with open(vars_file, "w") as fh:
        fh.write("isolated_cores=%s\nisolate_managed_irq=Y\n" % isolated)
    r = resolve(name, [STOCK_PROFILES], online, lambda filename: vars_file)
    if r.error is not None:
        print(json.dumps({"error": r.error, "errors": r.errors}))
    else:
        print(json.dumps({"units": r.units(), "errors": r.errors}))
finally:
    shutil.rmtree(tmp)
