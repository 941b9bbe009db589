"""Resolve a tuned profile with tuned's own profile loader (Debian's python3 `tuned` modules), print JSON.

usage: /usr/bin/python3 tuned-resolve.py PROFILE_DIR PROFILE_NAME ONLINE_CPUS ETC_TUNED_DIR

The loading is scripts/tuned_loader.py's (nothing applied, no daemon; /sys/devices/system/cpu/online reads
ONLINE_CPUS, the /etc/tuned/*.conf variable includes read ETC_TUNED_DIR/*.conf, so a test can put a stale user
setting there without touching the system's /etc/tuned). Profiles are searched in /usr/lib/tuned (the stock ones)
and then PROFILE_DIR, as tuned searches /usr/lib/tuned then /etc/tuned. Then the bootloader plugin's own merge of
the cmdline_* options runs, as the daemon's does.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))

from tuned.plugins.plugin_bootloader import BootloaderPlugin  # noqa: E402
from tuned.utils.commands import commands  # noqa: E402
from tuned_loader import STOCK_PROFILES, etc_tuned_dir, resolve  # noqa: E402

profile_dir, name, online, etc_tuned = sys.argv[1:5]
r = resolve(name, [STOCK_PROFILES, profile_dir], online, etc_tuned_dir(etc_tuned))
if r.error is not None:
    print(json.dumps({"error": r.error, "errors": r.errors}))
    sys.exit(0)

units = r.profile.units
bootloader = BootloaderPlugin.__new__(BootloaderPlugin)
effective = bootloader._get_effective_options(units["bootloader"].options) if "bootloader" in units else {}
cmdline = effective.get("cmdline")

print(
    json.dumps(
        {
            "isolated_cores": r.variables.expand("${isolated_cores}"),
            "cmdline": r.variables.expand(commands().unquote(cmdline)) if cmdline else "",
            "sysctl": r.unit("sysctl"),
            "sysfs": r.unit("sysfs"),
            "irqbalance": r.unit("irqbalance"),
            "scheduler_isolated_cores": r.unit("scheduler").get("isolated_cores"),
            "errors": r.errors,
        }
    )
)
