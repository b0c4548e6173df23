"""stsmeter: a development and bench STS (IEC 62055-41) prepayment meter in MicroPython.

The package's folders are its memory rule:

    stsmeter/*.py     the resident core: the meter and its parts, always in RAM
    stsmeter/sts/     the STS codec (digits, cipher, CRC, token): loaded to decode a token
    stsmeter/jobs/    the work of one entry (a token's rules, a short code) or of the start:
                      loaded for it and released after it, whole
    stsmeter/drivers/ keypad, relay, displays, buzzer, pulse input: never import the meter

Here, the package's tables, each defined once: LOADS, what each piece of work loads
(release(work) forgets it, unless the board keeps its code resident: keep_code, and
refuses a work it does not know), and the meter's codes (results, why the relay is open,
tamper kinds, encryption algorithms, base dates). This module imports no other firmware
module, so any of them may import it.
"""

import gc
import sys

__version__ = "0.3.0"

# --- the meter's codes ---
# The code uses the names; a name's index in its tuple is what the record, the event log
# and the sealed key record store (so the order is part of the record format: append
# only). Names rather than one constant per code: on a board every global name is a
# string kept in RAM for good, and the names are there already. Each tuple is built from
# a list: a tuple literal of strings is compiled into one constant whose every string
# becomes an object in RAM when the module loads (several times the RAM of the tuple built).

# a finished entry's result (jobs/acceptance.py, jobs/results.py; eventlog TOKEN)
RESULTS = tuple(["accept", "kct_partial", "used", "old", "crc", "format", "key_expired",
                 "ddtk", "key_type", "function", "range", "overflow", "mfr_code", "locked",
                 "short_code"])

# why the relay is open, or when it closes what held it open (eventlog RELAY)
REASONS = tuple(["credit", "tamper", "overpower", "test", "power_on"])

# tamper kinds ("": none; m.tamper and eventlog TAMPER hold the index)
TAMPERS = tuple(["", "state_forged", "tamper_input"])  # the state failed authentication
# (jobs/startup.py); the tamper switch (cover, magnet)

# encryption algorithms (meter.json "ea"; the sealed key record stores the index)
EAS = tuple(["07", "11"])  # EA07: STA, 64-bit key; EA11: MISTY1, 128-bit key

# base dates of the token ID (spec 6.3.5): a rollover key change moves to the next
BASE_YEARS = (1993, 2014, 2035)

# --- what is loaded for what ---

# What each piece of work loads beyond the resident core: modules of sts/ and jobs/. A
# board that loads .mpy files holds their bytecode in RAM: released after the work, it
# takes the heap only while the work runs (`make bench`). The loading test checks that none
# of it stays loaded (host_tests/devices/test_loading.py). (One string per work rather than
# a tuple of names: on a board every string object takes RAM for good.)
LOADS = {
    # the start (Meter.__init__, app.py): once per power-on, forgotten even when resident
    "start": "jobs.startup jobs.load_state jobs.load_journal jobs.meterjson "
             "jobs.key_record jobs.clock jobs.tid jobs.production jobs.decommission",
    # an entered token decoded (Meter._decode)
    "decode": "sts.decoder sts.digits sts.crc16 sts.sta sts.misty1 sts.token",
    # the rules for a decoded token (Meter._finish)
    "token": "jobs.acceptance jobs.results jobs.key_change jobs.key_record sts.token "
             "sts.amount",
    # a short code (Meter._finish)
    "short_code": "jobs.shortcodes jobs.results sts.token sts.amount jobs.clock jobs.tid",
}
_keep = ""  # resident code: the names no release forgets (keep_code)


def keep_code():
    """Keep the code of every kind of entry once it is loaded (a board's
    CODE_LOADING = "resident"): release() then forgets only start-up code and make_room()
    does not collect. Entries then run without loading code, for the heap that code takes."""
    global _keep
    _keep = " " + LOADS["decode"] + " " + LOADS["token"] + " " + LOADS["short_code"] + " "


def code_kept():
    """True when the board keeps its code resident (keep_code): objects made from it, such
    as the decoder with its key schedule, may then be kept too."""
    return bool(_keep)


def make_room():
    """Collect garbage before loading the code for a job: what the job loads then lands in
    the heap's free stretches rather than among the garbage of the last minutes, which
    leaves holes a small heap cannot spare. (CPython frees by reference count: nothing.)"""
    if not _keep and sys.implementation.name == "micropython":
        gc.collect()


def release(work):
    """Forget the modules a piece of work loaded (LOADS[work]), so the collector can take
    their code back; the next import loads them again. A board that keeps its code
    resident forgets only what no entry loads (the start's own code). ValueError for a
    work not in LOADS: a misspelt name would otherwise keep its code in RAM unnoticed."""
    names = LOADS.get(work)
    if names is None:
        raise ValueError("no work %r in stsmeter.LOADS" % work)
    if _keep and work != "start":
        return  # (resident: an entry's code stays)
    mods = sys.modules
    for name in names.split():
        if _keep and " " + name + " " in _keep:
            continue  # (resident: start-up code an entry uses too)
        if mods.pop("stsmeter." + name, None) is not None:
            pkg, _, leaf = name.partition(".")
            parent = mods.get("stsmeter." + pkg)
            if parent is not None and leaf in parent.__dict__:
                delattr(parent, leaf)
    # (the packages sts and jobs themselves stay once loaded: a few hundred bytes, where
    # loading their __init__ again would cost every entry a file lookup and a load)


def collect_often(every=3072):
    """Collect garbage after every `every` bytes allocated (MicroPython's gc.threshold)
    instead of when the heap is full: the short-lived objects of a token are then taken
    back before long-lived ones are placed among them, and the heap fragments less. The
    meter's staged code loading needs that in a small heap (`make bench`). (CPython:
    nothing.)"""
    if hasattr(gc, "threshold"):
        gc.threshold(every)
