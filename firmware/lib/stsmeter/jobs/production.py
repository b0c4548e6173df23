"""Production mode: the USB serial no longer reaches the REPL while the meter runs.

A board provisioned with "production": true in meter.json gets a mark (the file
`production` at its root, written by the firmware at that first start and never from
meter.json again). From then on, at every power-on:
  - Ctrl-C from the USB serial does nothing (main.py turns it off before anything else,
    and only a development board turns it back on): mpremote cannot stop the meter, so
    neither the raw REPL (mpremote exec, cp, fs) nor the friendly one is ever reached;
  - the firmware never returns to the REPL: an error restarts the board (and a meter
    that cannot start waits, saying why on its display and console).
The console output goes on (a person with a terminal sees the meter's messages).
The way back is decommission.py: a clear-tamper token with `*` held at power-on erases
the key and the state, then removes the mark.
"""

import micropython

MARK = "production"


def on():
    """True on a board in production mode."""
    try:
        with open(MARK):
            return True
    except OSError:
        return False


def enter():
    """Put the board in production mode (at provisioning)."""
    with open(MARK, "w") as f:
        f.write("1")


def leave():
    import os

    try:
        os.remove(MARK)
    except OSError:
        pass


def close_repl():
    micropython.kbd_intr(-1)


def open_repl():
    micropython.kbd_intr(3)
