"""The scripted meter: commands on stdin, one JSON event per line on stdout.

    micropython tools/meter_script.py METER.json STATE_DIR       (MICROPYPATH=firmware/lib:tools)

Runs the real firmware meter (stsmeter.meter) under MicroPython or CPython; `tools/sim.py`
starts it. Commands: keys <0-9*#C...>, token <20 digits>, load <watts>, advance <seconds>,
power-cycle, status, and also energy <Wh> (pulse input), tamper, log.
Lines are read as bytes, at most MAX_LINE of them: a longer line, or one with bytes beyond
ASCII, or a bad command, is answered with one error event and the runner goes on; at the
end, a script that had such lines gives one line on stderr (how many, the first) and exit
status 2. A meter that cannot start gives one error event and exit status 1; misuse, one
line on stderr and exit status 2.
STATE_DIR holds the meter's flash (state.a/state.b) and the simulated board around it:
`device.id` (stands in for the chip's unique ID) and `clock` (the wall clock, meter-clock
seconds, which goes on across runs and power cycles).
"""

import json
import os
import sys

if sys.implementation.name == "cpython":  # the firmware through the shim (the unix port:
    import paths  # noqa: F401  the caller's MICROPYPATH, paths.micropython_path())

import jsonline
import stsmeter
from stshost import report
from stsmeter.config import Config
from stsmeter.meter import Meter
from stsmeter.seal import Sealer
from stsmeter.store import Store

ORDER = ("event", "result", "detail", "amount", "unit", "closed", "reason", "lines",
         "warning", "active",
         "credit_kwh", "relay", "lockout_s", "tamper", "krn", "kt", "ti", "ea", "base_date")
KEYS = "0123456789*#C"
MAX_LINE = 4096  # bytes in a command line, its end of line not counted
MAX_ENERGY_WH = 1000000000  # in one `energy` command


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
        try:
            self.now = int(clock) if clock else 0
        except ValueError:
            raise ValueError("the clock file %s/clock must hold whole seconds" % state_dir)
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
            if int(args[0]) > MAX_ENERGY_WH:
                raise ValueError("energy must be 0..%d Wh" % MAX_ENERGY_WH)
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
            raise ValueError(_wrong(cmd, args))
        self.tick()


USAGE = ("keys <0-9*#C>", "token <20 digits>", "load <watts>", "energy <Wh>",
         "advance <seconds>", "power-cycle", "status", "tamper", "log")


def _wrong(cmd, args):
    """What is wrong with a command line that was not run."""
    for usage in USAGE:
        if usage.split()[0] == cmd:
            break
    else:
        return "unknown command %s: the commands are %s" % (
            cmd, ", ".join(u.split()[0] for u in USAGE))
    if cmd == "token" and len(args) == 1:
        return "a token is 20 digits: %s" % args[0]
    if " " not in usage:
        return "%s takes nothing after it (got: %s)" % (cmd, " ".join([cmd] + args))
    return "%s takes: %s (got: %s)" % (cmd, usage, " ".join([cmd] + args))


def _why(e):
    """An exception in one line (its type too, unless it is a plain refusal)."""
    text = str(e)
    if not isinstance(e, (OSError, ValueError)) or not text:
        text = "%s: %s" % (type(e).__name__, text) if text else type(e).__name__
    return " ".join(text.split())


def lines(stream):
    """(command line, None) or (None, why it is not one) for each line of a byte stream."""
    while True:
        raw = stream.readline(MAX_LINE + 2)  # a whole line: MAX_LINE bytes and CR LF
        if not raw:
            return
        whole = raw.endswith(b"\n") or len(raw) < MAX_LINE + 2  # (or the last, unended)
        text = raw.rstrip(b"\r\n")
        if not whole or len(text) > MAX_LINE:
            while raw and not raw.endswith(b"\n"):  # skip the rest of it
                raw = stream.readline(MAX_LINE + 2)
            yield None, "line longer than %d bytes" % MAX_LINE
            continue
        for b in text:
            if b > 126 or (b < 32 and b != 9):
                yield None, "not a command: bytes beyond printable ASCII"
                break
        else:
            yield text.decode(), None


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("meter_script.py: error: usage: meter_script.py METER.json "
                         "STATE_DIR, commands on stdin (tools/sim.py runs it)\n")
        sys.exit(2)
    stsmeter.collect_often()  # as the firmware does (app.run)
    try:
        bench = Bench(sys.argv[1], sys.argv[2])
    except Exception as e:  # whatever it is: one error event, never a traceback
        out({"event": "error", "detail": "cannot start the meter: %s" % _why(e)})
        sys.exit(1)
    bad, first = 0, None
    for number, (line, error) in enumerate(lines(sys.stdin.buffer), 1):
        try:
            if error:
                raise ValueError(error)
            bench.command(line)
        except Exception as e:  # a bad command is answered, and the runner goes on
            out({"event": "error", "detail": _why(e)})
            bad += 1
            first = first or number
    if bad:  # the script was wrong: say so at the end (each line had its error event)
        sys.stdout.flush()
        sys.stderr.write("meter_script.py: error: %d bad script line(s), the first line %d "
                         "(each answered with an error event): fix the script\n"
                         % (bad, first))
        sys.exit(2)


if __name__ == "__main__":
    main()
