"""Resolve a stock tuned profile with tuned's own loader (Debian's python3 `tuned` modules) and print its units.

usage: /usr/bin/python3 bench/tuning-vs-tuned-resolve.py PROFILE ONLINE_CPUS ISOLATED_CORES

Nothing is applied and no daemon starts. tuned's Locator/Loader/Merger load PROFILE from /usr/lib/tuned with its
whole include chain; every option is expanded by tuned's Variables (its ${f:...} functions included). Two reads
of THIS machine are redirected to model the node the settings are for:
  - /sys/devices/system/cpu/online reads ONLINE_CPUS (the node's online CPUs);
  - the stock /etc/tuned/*-variables.conf includes read isolated_cores=ISOLATED_CORES (the node's isolated CPUs)
    instead of this host's file.
Prints {"units": {unit: {option: value}}, "errors": [...]} as JSON (an assertion tuned makes fails: "error").
"""

import json
import logging
import os
import sys
import tempfile

import tuned.logs
from tuned.profiles.factory import Factory
from tuned.profiles.loader import Loader
from tuned.profiles.locator import Locator
from tuned.profiles.merger import Merger
from tuned.profiles.variables import Variables
from tuned.utils.commands import commands

name, online, isolated = sys.argv[1:4]
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

tmp = tempfile.mkdtemp(prefix="kvm4nfv-tuned-vars-")
vars_file = os.path.join(tmp, "variables.conf")
with open(vars_file, "w") as fh:
    fh.write("isolated_cores=%s\nisolate_managed_irq=Y\n" % isolated)

real_add_from_file = Variables.add_from_file


def add_from_file(self, filename):
    if filename.startswith("/etc/tuned/"):
        filename = vars_file
    return real_add_from_file(self, filename)


Variables.add_from_file = add_from_file

variables = Variables()
loader = Loader(Locator(["/usr/lib/tuned"]), Factory(), Merger(), None, variables)
try:
    try:
        profile = loader.load([name])
    except Exception as e:
        print(json.dumps({"error": str(e), "errors": errors}))
        sys.exit(0)
    units = {
        unit: {k: variables.expand(v) for k, v in u.options.items()} for unit, u in profile.units.items()
    }
    print(json.dumps({"units": units, "errors": errors}))
finally:
    os.remove(vars_file)
    os.rmdir(tmp)
