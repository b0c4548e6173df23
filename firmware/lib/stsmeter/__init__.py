"""stsmeter: a development and bench STS (IEC 62055-41) prepayment meter in MicroPython."""

import gc
import sys

__version__ = "0.3.0"


_keep = False  # resident code: see keep_code()


def keep_code():
    """Keep the code of every kind of entry once it is loaded (a board's
    CODE_LOADING = "resident"): release() then forgets nothing and make_room() does not
    collect. Entries then run without loading code, for the heap that code takes."""
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


def forget(*names):
    """Drop submodules from sys.modules, so the collector can take their code back: a board
    that loads .mpy files, rather than frozen ones, holds their bytecode in RAM. The next
    import loads them again."""
    mods = sys.modules
    here = globals()
    for name in names:
        mods.pop("stsmeter." + name, None)
        here.pop(name, None)


def release(*names):
    """Forget submodules that one job loaded (a token, a short code), unless the board keeps
    its code resident (keep_code). Code used only at start is forgotten either way."""
    if not _keep:
        forget(*names)


def collect_often(every=3072):
    """Collect garbage after every `every` bytes allocated (MicroPython's gc.threshold)
    instead of when the heap is full: the short-lived objects of a token are then taken
    back before long-lived ones are placed among them, and the heap fragments less. The
    meter's staged code loading needs that to run in a 64 KB heap. (CPython: nothing.)"""
    if hasattr(gc, "threshold"):
        gc.threshold(every)
