"""tuned's own profile loader (Debian's python3 `tuned` modules), made hermetic: the one wrapper kvm4nfv's tuned
resolvers share (test/consumers/tuned-resolve.py proves emitted profiles with it, bench/tuning-vs-tuned-resolve.py
resolves the stock profiles with it).

Nothing is applied and no daemon is started: tuned's Locator/Loader/Merger load a profile with its whole include
chain, and its Variables expand the options (its ${f:...} functions included), exactly as the daemon does before
it writes anything. Two things tuned reads from THIS machine are redirected to model the machine the profile is
for:
  - /sys/devices/system/cpu/online (cpulist_online / cpulist_invert / cpulist2hex_invert) reads `online`;
  - the /etc/tuned/*.conf variable includes (the stock profiles' `include=/etc/tuned/...-variables.conf`) read the
    file `etc_tuned(path)` names instead.
Errors tuned logs (level ERROR and above) are collected, in order, in Resolution.errors.
"""

import logging
import os

from tuned.profiles.factory import Factory
from tuned.profiles.loader import Loader
from tuned.profiles.locator import Locator
from tuned.profiles.merger import Merger
from tuned.profiles.variables import Variables
from tuned.utils.commands import commands

STOCK_PROFILES = "/usr/lib/tuned"


class Resolution:
    """A loaded profile (None when tuned refused it: `error` says why), its variables and tuned's logged errors."""

    def __init__(self, profile, variables, errors, error):
        self.profile = profile
        self.variables = variables
        self.errors = errors
        self.error = error

    def expanded(self, options):
        """Options with every value expanded by tuned's Variables."""
        return {k: self.variables.expand(v) for k, v in options.items()}

    def unit(self, name):
        """One unit's options, expanded ({} when the profile has no such unit)."""
        units = self.profile.units
        return self.expanded(units[name].options) if name in units else {}

    def units(self):
        """Every unit's options, expanded."""
        return {name: self.expanded(u.options) for name, u in self.profile.units.items()}


def resolve(name, search_dirs, online, etc_tuned):
    """Load profile `name` from search_dirs (searched in order, as tuned searches /usr/lib/tuned then /etc/tuned)."""
    errors = []

    class Collect(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.ERROR:
                errors.append(record.getMessage())

    logging.getLogger("tuned").addHandler(Collect())  # the logger tuned.logs.get() gives a __main__ script

    real_read_file = commands.read_file

    def read_file(self, f, err_ret="", no_error=False):
        if f == "/sys/devices/system/cpu/online":
            return online + "\n"
        return real_read_file(self, f, err_ret, no_error)

    commands.read_file = read_file

    real_add_from_file = Variables.add_from_file

    def add_from_file(self, filename):
        if filename.startswith("/etc/tuned/"):
            filename = etc_tuned(filename)
        return real_add_from_file(self, filename)

    Variables.add_from_file = add_from_file

    variables = Variables()
    loader = Loader(Locator(list(search_dirs)), Factory(), Merger(), None, variables)
    try:
        profile = loader.load([name])
    except Exception as e:  # tuned's own InvalidProfileException (a failed assertion, a missing include)
        return Resolution(None, variables, errors, str(e))
    return Resolution(profile, variables, errors, None)


def etc_tuned_dir(directory):
    """An etc_tuned redirect: /etc/tuned/NAME.conf reads DIRECTORY/NAME.conf."""
    return lambda filename: os.path.join(directory, os.path.basename(filename))
