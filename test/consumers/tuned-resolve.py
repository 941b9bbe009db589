"""Resolve a tuned profile with tuned's own profile loader (Debian's python3 `tuned` modules), print JSON.

usage: /usr/bin/python3 tuned-resolve.py PROFILE_DIR PROFILE_NAME ONLINE_CPUS ETC_TUNED_DIR

Nothing is applied and no daemon is started: this runs tuned's Locator/Loader/Merger and its variables expansion
(tuned.profiles.*), then the bootloader plugin's own merge of the cmdline_* options, exactly as the daemon does
before it writes anything. Two things tuned reads from the machine are redirected so the test is hermetic and
models the plan's machine instead of this one:
  - /sys/devices/system/cpu/online (cpulist_online / cpulist_invert / cpulist2hex_invert) reads ONLINE_CPUS;
  - /etc/tuned/*.conf variable includes (the stock profiles' `include=/etc/tuned/...-variables.conf`) read
    ETC_TUNED_DIR/*.conf, so a test can put a stale user setting there without touching the system's /etc/tuned.
Profiles are searched in /usr/lib/tuned (the stock ones) and then PROFILE_DIR, as tuned searches /usr/lib/tuned
then /etc/tuned.
"""

import json
import logging
import os
import sys

import tuned.logs
from tuned.plugins.plugin_bootloader import BootloaderPlugin
from tuned.profiles.factory import Factory
from tuned.profiles.loader import Loader
from tuned.profiles.locator import Locator
from tuned.profiles.merger import Merger
from tuned.profiles.variables import Variables
from tuned.utils.commands import commands

profile_dir, name, online, etc_tuned = sys.argv[1:5]
errors = []


class Collect(logging.Handler):
    def emit(self, record):
        if record.levelno >= logging.ERROR:
            errors.append(record.getMessage())


tuned.logs.get().addHandler(Collect())

real_read_file = commands.read_file


def read_file(self, f, err_ret="", no_error=False):
    if f == "/sys/devices/system/cpu/online":
        return online + "\n"
    return real_read_file(self, f, err_ret, no_error)


commands.read_file = read_file

real_add_from_file = Variables.add_from_file


def add_from_file(self, filename):
    if filename.startswith("/etc/tuned/"):
        filename = os.path.join(etc_tuned, os.path.basename(filename))
    return real_add_from_file(self, filename)


Variables.add_from_file = add_from_file

variables = Variables()
loader = Loader(Locator(["/usr/lib/tuned", profile_dir]), Factory(), Merger(), None, variables)
try:
    profile = loader.load([name])
except Exception as e:  # tuned's own InvalidProfileException (a failed assertion, a missing include)
    print(json.dumps({"error": str(e), "errors": errors}))
    sys.exit(0)

units = profile.units


def expanded(unit):
    if unit not in units:
        return {}
    return {k: variables.expand(v) for k, v in units[unit].options.items()}


bootloader = BootloaderPlugin.__new__(BootloaderPlugin)
effective = bootloader._get_effective_options(units["bootloader"].options) if "bootloader" in units else {}
cmdline = effective.get("cmdline")

print(
    json.dumps(
        {
            "isolated_cores": variables.expand("${isolated_cores}"),
            "cmdline": variables.expand(commands().unquote(cmdline)) if cmdline else "",
            "sysctl": expanded("sysctl"),
            "sysfs": expanded("sysfs"),
            "irqbalance": expanded("irqbalance"),
            "scheduler_isolated_cores": expanded("scheduler").get("isolated_cores"),
            "errors": errors,
        }
    )
)
