"""The PC board's own module (boards/sim.py, `make sim`): the terminal as the meter's keypad
and display, and the simulator's keys.

The keyboard is the keypad: 0-9, Backspace (deletes one digit each time), '*' (as on the
keypad: deletes a digit, twice in a row clears), 'c' (clear), '#' or Enter, '+'/'-'
(simulated load), 'f' (fast time), '!' (tamper switch), 'q' or Ctrl-C/Ctrl-D (quit: a
power cut); 't' (fresh tokens) is tools/simterm.py's, never reaching the meter. The
terminal shows the 16x2 LCD with the relay, load, credit and lockout beside it, redrawn
only when something changed. Written for a terminal in raw mode (tools/simterm.py sets
it); any stream of bytes works as input.
"""

import asyncio
import sys

from stsmeter.jobs import clock

_KEYS = {0x7F: "<", 0x08: "<", 0x0D: "#", 0x0A: "#", 0x63: "C", 0x3D: "+", 0x03: "q",
         0x04: "q"}
_ALLOWED = "0123456789<*#C+-f!q"
HELP = ("keys: 0-9  Backspace  # or Enter  c clear  +/- load  f fast  ! tamper  t tokens"
        "  q quit")


class TerminalKeys:
    def __init__(self, stream=None):
        self._reader = asyncio.StreamReader(stream or sys.stdin.buffer)

    async def next_key(self):
        while True:
            b = await self._reader.read(1)
            if not b:
                return "q"  # input closed: power off
            c = b[0]
            key = _KEYS.get(c) or (chr(c) if c < 0x80 else "")
            if key and key in _ALLOWED:
                return key


LOAD_STEP_W = 100
FAST = 60  # time runs this much faster in fast mode ('f')


class BoardKeys:
    """The simulator's keys, the PC board's on_key hook (stsmeter.hardware.Devices): '+'/'-'
    the simulated load, 'f' fast time, '!' the tamper switch, 'q' quit. A real board has
    none of these: its load is what its pulse input measures."""

    def __init__(self):
        self.load_w = 0

    def __call__(self, firmware, key):
        m = firmware.meter
        if key == "+":
            self.load_w = min(self.load_w + LOAD_STEP_W, m.cfg.max_load_w)
            m.set_load(self.load_w)
        elif key == "-":
            self.load_w = max(self.load_w - LOAD_STEP_W, 0)
            m.set_load(self.load_w)
        elif key == "f":
            firmware.speed = 1 if firmware.speed != 1 else FAST
        elif key == "!":
            m.tamper_input()
        elif key == "q":
            firmware.running = False
        else:
            return False
        return True


class PanelRelay:
    """The relay as a lamp in the side panel."""

    def __init__(self):
        self.closed = False

    def set(self, closed):
        changed = closed != self.closed
        self.closed = closed
        return changed


def _kwh(wh):
    return "%d.%03d kWh" % (wh // 1000, wh % 1000)


class TerminalDisplay:
    rows = 2
    cols = 16

    def __init__(self, out=None, notes=(), notes_files=()):
        self._out = out or sys.stdout
        self._notes = "".join("\r\n  " + line for line in notes)
        self._files = notes_files  # shown under the display, read again at every redraw
        self._lines = ("", "")
        self._side = ("", "", "", "")
        self._drawn = None

    def show(self, lines):
        self._lines = tuple((lines[i] if i < len(lines) else "")[:16] for i in range(2))
        self._draw()

    def clear(self):
        self.show(("", ""))

    def panel(self, lines, m, speed):
        """The LCD lines and, beside them, relay, load, credit, lockout and clock."""
        self._lines = tuple((lines[i] if i < len(lines) else "")[:16] for i in range(2))
        now = m.now
        lock = m.lockout.remaining(now)
        flags = ("TAMPER " if m.tamper else "") + ("TRIPPED " if m.supply.tripped(now) else "")
        self._side = (
            "Relay   %s   %s" % ("ON " if m.relay_closed else "OFF", flags),
            "Load    %d W (drawing %d W)" % (m.load_w, m.load_w if m.relay_closed else 0),
            "Credit  %s   Lockout %s" % (_kwh(m.credit.wh), "%d s" % lock if lock else "-"),
            "Clock   %s  x%d" % (clock.iso(m.cfg, now), speed))
        self._draw()

    def _draw(self):
        l1, l2 = self._lines
        s = self._side
        frame = "\r\n".join((
            "+----------------+  " + s[0],
            "|%-16s|  %s" % (l1, s[1]),
            "|%-16s|  %s" % (l2, s[2]),
            "+----------------+  " + s[3],
            HELP))
        notes = self._notes
        for name in self._files:  # (tools/simterm.py writes them while the meter runs)
            try:
                with open(name) as f:
                    notes += "".join("\r\n  " + line for line in f.read().splitlines())
            except OSError:
                pass
        frame += "\r\n" + notes
        if frame != self._drawn:
            self._drawn = frame
            self._out.write("\x1b[H\x1b[2J" + frame + "\r\n")
