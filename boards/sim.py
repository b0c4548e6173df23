"""The PC as a board: the MicroPython unix port, the terminal as keypad and LCD.

`make sim` runs firmware/main.py with this module as `board` and sim_terminal.py beside
it (the board's own module: terminal keypad and display, the simulator's keys), in the
folder .sim/ (the board's flash: meter.json, state/, device.id).
"""

import os

NAME = "sim"
DISPLAY = "terminal"
EPOCH_YEAR = 1970  # the unix port counts time.time() from 1970


def device_id():
    """A random ID made on first start, standing in for the chip's unique ID."""
    try:
        with open("device.id", "rb") as f:
            return f.read()
    except OSError:
        ident = os.urandom(16)
        with open("device.id", "wb") as f:
            f.write(ident)
        return ident


def devices():
    from sim_terminal import BoardKeys, PanelRelay, TerminalDisplay, TerminalKeys
    from stsmeter.hardware import Devices

    # ready-to-type tokens written by tools/simterm.py (fresh.txt: those its 't' key
    # makes while the meter runs), shown under the display
    display = TerminalDisplay(notes_files=("fresh.txt", "tokens.txt"))
    return Devices(TerminalKeys(), display, PanelRelay(), on_key=BoardKeys())
