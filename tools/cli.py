"""What the host tools do with errors: one line on stderr, never a traceback.

    import cli  # first of a tool's own imports: it also catches their ImportError

- `cli.fail(message)`: "<tool>: error: <message>" on stderr, exit status 2 (misuse).
- `cli.Parser`: an argparse parser whose errors are that one line too (no usage lines;
  --help still shows everything).
- Whatever still escapes a tool is made one line by an exception hook: a Python without
  the project's packages (ImportError: run `make setup`, use .venv/bin/python; exit 2), a
  file that cannot be read or written (OSError, exit 2), anything else (exit 1, a bug:
  STSMETER_TRACEBACK=1 shows the traceback).
"""

import argparse
import os
import sys

PROG = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "tool"


def fail(message, status=2):
    """One line on stderr, then exit (2: misuse)."""
    sys.stdout.flush()
    sys.stderr.write("%s: error: %s\n" % (PROG, " ".join(str(message).split())))
    sys.exit(status)


class Parser(argparse.ArgumentParser):
    """argparse, with an error as one line naming --help."""

    def error(self, message):
        fail("%s (see %s --help)" % (message, self.prog))


def why_os(e):
    """An OSError in words: the file and what is wrong with it."""
    text = e.strerror or str(e)
    return "%s: %s" % (e.filename, text) if e.filename else text


def _message(exc):
    """(one line, exit status) for an exception that escaped a tool."""
    if isinstance(exc, ImportError):
        missing = getattr(exc, "name", None) or str(exc)
        return ("needs the Python package %s, which %s lacks: run `make setup`, then "
                "use .venv/bin/python tools/%s" % (missing, sys.executable, PROG), 2)
    if isinstance(exc, OSError):
        return "%s: check the path and its permissions" % why_os(exc), 2
    return ("internal error, %s: %s (a bug: please report it; STSMETER_TRACEBACK=1 shows "
            "the traceback)" % (type(exc).__name__, exc), 1)


def _hook(kind, exc, tb):
    if issubclass(kind, KeyboardInterrupt):  # Ctrl-C: the user knows
        os._exit(130)
    if os.environ.get("STSMETER_TRACEBACK"):
        sys.__excepthook__(kind, exc, tb)
        return
    message, status = _message(exc)
    try:
        sys.stdout.flush()
    except OSError:
        pass
    sys.stderr.write("%s: error: %s\n" % (PROG, " ".join(message.split())))
    sys.stderr.flush()
    os._exit(status)


if os.path.dirname(os.path.abspath(sys.argv[0] or ".")) == os.path.dirname(
        os.path.abspath(__file__)):  # a tool run as a program (not imported by tests)
    sys.excepthook = _hook
