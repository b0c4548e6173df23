"""Where everything is, for every host tool and test: one place.

    import paths    # first of a tool's own imports (tools/ is on sys.path for tools/<name>.py)
    from stsmeter.sts.decoder import Decoder    # the firmware, under CPython through the shim

Importing it makes firmware/lib and tools/stshost importable in CPython, with the shim's
micropython, machine and cryptolib stand-ins and MicroPython's time/asyncio extras
(use_firmware). Under MicroPython (the unix port) the runner's MICROPYPATH does that:
micropython_path().

The repository's folders: firmware/ (what goes on a board: firmware/lib/stsmeter, all of
it, and main.py), boards/ (a board's pin map boards/<name>.py, copied as board.py, and
its own modules boards/<name>_*.py, copied beside it), tools/ (host tools; tools/stshost,
the host-only STS code: token descriptions, vending, event reports; tools/shim, the
stand-ins that let CPython run the firmware).
"""

import glob
import os
import sys

TOOLS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TOOLS)
FIRMWARE = os.path.join(ROOT, "firmware")
FIRMWARE_LIB = os.path.join(FIRMWARE, "lib")
MAIN_PY = os.path.join(FIRMWARE, "main.py")
BOARDS = os.path.join(ROOT, "boards")
SHIM = os.path.join(TOOLS, "shim")


def board_files(name):
    """[(source, name on the board)] of a board: its pin map as board.py, its own modules."""
    files = [(os.path.join(BOARDS, name + ".py"), "board.py")]
    for path in sorted(glob.glob(os.path.join(BOARDS, name + "_*.py"))):
        files.append((path, os.path.basename(path)))
    return files


def micropython_path(*extra):
    """MICROPYPATH for the unix port running the firmware and the host-only code."""
    return os.pathsep.join(list(extra) + [FIRMWARE_LIB, TOOLS])


def use_firmware():
    """Make firmware/lib and tools/stshost importable in this CPython (see above)."""
    for path in (SHIM, TOOLS):
        if path not in sys.path:
            sys.path.insert(0, path)
    import mpshim

    mpshim.install()  # (adds firmware/lib)


use_firmware()
