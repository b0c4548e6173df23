"""The scripted meter: commands on stdin, one JSON event per line on stdout.

    micropython tools/meter_script.py METER.json STATE_DIR       (MICROPYPATH=firmware/lib)

Runs the real firmware meter (stsmeter.meter) under MicroPython or CPython; `tools/sim.py`
starts it. Commands: keys <0-9*#C...>, token <20 digits>, load <watts>, advance <seconds>,
power-cycle, status, and also energy <Wh> (pulse input), tamper, log.
STATE_DIR holds the meter's flash (state.a/state.b) and the simulated board around it:
`device.id` (stands in for the chip's unique ID) and `clock` (the wall clock, meter-clock
seconds, which goes on across runs and power cycles).
"""

import json
import os
import sys

if sys.implementation.name == "cpython":  # run the firmware through the shim
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "shim"))
    import mpshim

    mpshim.install()

import jsonline  # noqa: E402
import stsmeter  # noqa: E402
from stsmeter import report  # noqa: E402
from stsmeter.config import Config  # noqa: E402
from stsmeter.meter import Meter  # noqa: E402
from stsmeter.seal import Sealer  # noqa: E402
from stsmeter.store import Store  # noqa: E402

ORDER = ("event", "result", "detail", "amount", "unit", "closed", "reason", "lines",
         "warning", "active",
         "credit_kwh", "relay", "lockout_s", "tamper", "krn", "kt", "ti", "ea", "base_date")
KEYS = "0123456789*#C"


def out(event):
    sys.stdout.write(jsonline.dumps(event, ORDER) + "\n")


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


class Bench:
    """The simulated board: a meter, its flash folder, its ID and its wall clock."""

    def __init__(self, meter_path, state_dir):
        with open(meter_path) as f:
            self.cfg = Config(json.load(f))
        self.dir = state_dir
        try:
            os.mkdir(state_dir)
        except OSError:
            pass
        dev = _read(state_dir + "/device.id")
        if dev is None:
            dev = bytes(os.urandom(16)).hex()
            _write(state_dir + "/device.id", dev)
        self.sealer = Sealer(bytes.fromhex(dev))
        clock = _read(state_dir + "/clock")
        self.now = int(clock) if clock else 0
        self.lines = None
        self.boot()

    def boot(self):
        store = Store(self.dir, self.sealer.cmac)
        self.meter = Meter(self.cfg, store, self.sealer, self.now, out, os.urandom)
        self.lines = None
        self.tick()

    def tick(self):
        """After each command: remember the clock, report a changed display."""
        self.now = self.meter.now
        _write(self.dir + "/clock", str(self.now))
        lines = self.meter.screen()
        if lines != self.lines:
            self.lines = lines
            out({"event": "display", "lines": list(lines)})

    def command(self, line):
        words = line.split()
        if not words:
            return
        cmd, args = words[0], words[1:]
        m = self.meter
        if cmd == "keys" and len(args) == 1 and all(k in KEYS for k in args[0]):
            for k in args[0]:
                m.press(k)
        elif cmd == "token" and len(args) == 1 and len(args[0]) == 20 and args[0].isdigit():
            for k in args[0] + "#":
                m.press(k)
        elif cmd == "load" and len(args) == 1 and args[0].isdigit():
            m.set_load(int(args[0]))
        elif cmd == "energy" and len(args) == 1 and args[0].isdigit():
            m.add_energy(int(args[0]) * 3600)
        elif cmd == "advance" and len(args) == 1 and args[0].isdigit():
            m.advance(int(args[0]))
        elif cmd == "power-cycle" and not args:
            self.boot()
        elif cmd == "status" and not args:
            out(report.status(m))
        elif cmd == "tamper" and not args:
            m.tamper_input()
        elif cmd == "log" and not args:
            out({"event": "log", "entries": report.events(m)})
        else:
            raise ValueError("bad command: %s" % line.strip())
        self.tick()


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: meter_script.py METER.json STATE_DIR\n")
        sys.exit(2)
    stsmeter.collect_often()  # as the firmware does (app.run)
    try:
        bench = Bench(sys.argv[1], sys.argv[2])
    except (OSError, ValueError) as e:
        out({"event": "error", "detail": "cannot start the meter: %s" % e})
        sys.exit(1)
    while True:
        line = sys.stdin.readline()
        if not line:
            break
        try:
            bench.command(line)
        except ValueError as e:
            out({"event": "error", "detail": str(e)})


if __name__ == "__main__":
    main()
