"""stsmeter: a development and bench STS (IEC 62055-41) prepayment meter in MicroPython.

The package's folders are its memory rule:

    stsmeter/*.py     the resident core: the meter and its parts, always in RAM
    stsmeter/sts/     the STS codec (digits, cipher, CRC, token): loaded to decode a token
    stsmeter/jobs/    the work of one entry (a token's rules, a short code) or of the start:
                      loaded for it and released after it, whole
    stsmeter/drivers/ keypad, relay, displays, buzzer, pulse input: never import the meter

LOADS below is the one table of what each piece of work loads; release(work) forgets it
(unless the board keeps its code resident: keep_code), and refuses a work it does not know.
"""

import gc
import sys

__version__ = "0.3.0"

# What each piece of work loads beyond the resident core, as module names under stsmeter.
# A board that loads .mpy files holds their bytecode in RAM: released after the work, the
# meter runs in a 64 KB heap (see `make bench`). The loading test checks that nothing else
# stays loaded (host_tests/devices/test_loading.py).
LOADS = {
    # the start (Meter.__init__, app.py): once per power-on, forgotten even when resident
    "start": ("jobs.startup", "jobs.load_state", "jobs.meterjson", "jobs.key_change",
              "sts.token", "jobs.clock", "jobs.tid", "jobs.production", "jobs.decommission"),
    # an entered token decoded (Meter._decode)
    "decode": ("sts.decoder", "sts.digits", "sts.crc16", "sts.sta", "sts.misty1",
               "sts.token"),
    # the rules for a decoded token (Meter._finish)
    "token": ("jobs.acceptance", "jobs.results", "jobs.key_change", "sts.token",
              "sts.amount"),
    # a short code (Meter._finish)
    "short_code": ("jobs.shortcodes", "jobs.results", "sts.token", "sts.amount",
                   "jobs.clock", "jobs.tid"),
}
_SUBPACKAGES = ("sts", "jobs")

_keep = False  # resident code: see keep_code()


def keep_code():
    """Keep the code of every kind of entry once it is loaded (a board's
    CODE_LOADING = "resident"): release() then forgets only start-up code and make_room()
    does not collect. Entries then run without loading code, for the heap that code takes."""
    global _keep
    _keep = True


def code_kept():
    """True when the board keeps its code resident (keep_code): objects made from it, such
    as the decoder with its key schedule, may then be kept too."""
    return _keep


def make_room():
    """Collect garbage before loading the code for a job: what the job loads then lands in
    the heap's free stretches rather than among the garbage of the last minutes, which
    leaves holes a 64 KB heap cannot spare. (CPython frees by reference count: nothing.)"""
    if not _keep and sys.implementation.name == "micropython":
        gc.collect()


def release(work):
    """Forget the modules a piece of work loaded (LOADS[work]), so the collector can take
    their code back; the next import loads them again. A board that keeps its code
    resident forgets only what no entry uses (the start's own code). ValueError for a
    work not in LOADS: a misspelt name would otherwise keep its code in RAM unnoticed."""
    names = LOADS.get(work)
    if names is None:
        raise ValueError("release: no work %r in stsmeter.LOADS" % (work,))
    mods = sys.modules
    for name in names:
        if _keep and _used_by_entries(name):
            continue
        mods.pop("stsmeter." + name, None)
        pkg, _, leaf = name.rpartition(".")
        parent = mods.get("stsmeter." + pkg)
        if parent is not None and leaf in parent.__dict__:
            delattr(parent, leaf)
    if not _keep:  # a subpackage with none of its modules loaded goes too
        here = globals()
        for pkg in _SUBPACKAGES:
            prefix = "stsmeter." + pkg + "."
            for key in mods:
                if key.startswith(prefix):
                    break
            else:
                mods.pop("stsmeter." + pkg, None)
                here.pop(pkg, None)


def _used_by_entries(name):
    for work in ("decode", "token", "short_code"):
        if name in LOADS[work]:
            return True
    return False


def collect_often(every=3072):
    """Collect garbage after every `every` bytes allocated (MicroPython's gc.threshold)
    instead of when the heap is full: the short-lived objects of a token are then taken
    back before long-lived ones are placed among them, and the heap fragments less. The
    meter's staged code loading needs that to run in a 64 KB heap. (CPython: nothing.)"""
    if hasattr(gc, "threshold"):
        gc.threshold(every)
