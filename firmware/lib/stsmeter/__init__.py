"""stsmeter: a development and bench STS (IEC 62055-41) prepayment meter in MicroPython."""

import sys

__version__ = "0.3.0"


def release(*names):
    """Forget submodules that one job loaded (a token, a short code, the start), so the
    collector can take their code back: a board that loads .mpy files, rather than frozen
    ones, holds their bytecode in RAM. The next job imports them again."""
    mods = sys.modules
    here = globals()
    for name in names:
        mods.pop("stsmeter." + name, None)
        here.pop(name, None)
