#!/usr/bin/env python3
"""`make sim BOARD=rpi_pico`: the deployed firmware on a virtual Raspberry Pi Pico, in this
terminal, with everything going through the board's pins.

    .venv/bin/python tools/picoterm.py [--dir .sim-pico] [--reset]
    .venv/bin/python tools/picoterm.py --meter meter.json [--dir .sim-pico-own] [--reset]

The board is tools/virtual_pico.py: MicroPython's rp2 firmware in the rp2040js emulator,
with the keypad, the LCD (PCF8574 + HD44780 on I2C), relay, LED, buzzer and S0 input at
the pins of boards/rpi_pico.py, and its flash in DIR/flash.img.

The first run makes the demo meter of `make sim` (tools/simterm.py) in DIR, with its
tokens in DIR/tokens.txt, and deploys it the real way: tools/deploy.py compiles the
firmware for armv6m and copies it with mpremote over the board's USB serial (a pty), then
resets the board; main.py starts the meter, which seals its key. The "already used" token
is then typed once on the keypad. Later runs power the board on from its flash and deploy
again, keeping the meter's state, when the compiled firmware (DIR/build/rpi_pico/lib,
main.py, the pin map) changed since the last deploy (DIR/deployed.sha256).

With --meter, the meter is yours instead (a meter.json from tools/provision.py, deployed
on the first run; default DIR .sim-pico-own/): make its tokens with tools/sts.py generate.

Keys: 0-9; * or Backspace: *; # or Enter: #; a b c d: the keypad's A, B, C, D (C clears
the entry, A, B and D do nothing: the pin map does not map them); p / P: 10 / 100 S0
pulses (10 / 100 Wh); r: power cycle; q, Ctrl-C or Ctrl-D: quit, a power cut (the flash
image stays). Input from a pipe works too: no raw mode, the frame is printed whenever it
changes, and the end of the input quits once the keys typed so far are pressed.

The folder, the deploy and the power-on: tools/pico_meter.py; here, the terminal.
"""

import argparse
import collections
import os
import queue
import select
import shutil
import signal
import sys
import time
from pathlib import Path

import paths
from pico_meter import AGAIN, GAP_MS, HOLD_MS, IMAGE, RESET, TOKENS, Fail, prepare, rel, start
from virtual_pico import PicoError

ROOT = Path(paths.ROOT)
POLL_S = 0.05  # the board's state, read this often
INPUT_S = 0.02  # keys and answers, looked at this often
CONSOLE_LINES = 6
HELP = ("keys: 0-9  * or Backspace  # or Enter  c clear  (a b d: not used)  "
        "p/P 10/100 Wh of S0 pulses  r power cycle  q quit")
KEYPAD = {c: c.upper() for c in "0123456789*#ABCDabcd"}  # typed -> keypad label
KEYPAD.update({"\x7f": "*", "\x08": "*", "\r": "#", "\n": "#"})
QUIT_KEYS = ("q", "\x03", "\x04")
PULSE_KEYS = {"p": 10, "P": 100}  # 1 Wh each at 1000 imp/kWh


# --- the person at the board ---

class Presses:
    """Keypad presses and S0 pulse trains, each kind one at a time and in order (the
    emulator would overlap two that overlap in time), never waited for."""

    def __init__(self, pico):
        self.pico = pico
        self.keys = collections.deque()
        self.key_answer = None  # the answer queue of the press under way
        self.pulses = 0  # asked for, not yet sent
        self.pulse_answer = None

    def key(self, label):
        self.keys.append(label)

    def add_pulses(self, n):
        self.pulses += n

    def clear(self):
        self.keys.clear()
        self.pulses = 0

    def busy(self):
        return bool(self.keys or self.pulses or self.key_answer or self.pulse_answer)

    def pump(self):
        """Collect the answers that came, start what is next."""
        if self.key_answer is not None and answered(self.key_answer):
            self.key_answer = None
        if self.key_answer is None and self.keys:
            # gap_ms: the pause after the press is part of it (see GAP_MS)
            self.key_answer = self.pico.send("type", keys=self.keys.popleft(), hold_ms=HOLD_MS,
                                             gap_ms=GAP_MS)
        if self.pulse_answer is not None and answered(self.pulse_answer):
            self.pulse_answer = None
        if self.pulse_answer is None and self.pulses:
            self.pulse_answer = self.pico.send("pulses", n=self.pulses, period_ms=100,
                                               width_ms=30)
            self.pulses = 0


def answered(q):
    """True once the call's answer came; PicoError if the emulator ended."""
    try:
        answer = q.get_nowait()
    except queue.Empty:
        return False
    if answer is None:
        raise PicoError("virtual pico: the emulator ended")
    return True


class Console:
    """The tail of the board's USB serial output, printable text only."""

    def __init__(self, pico, since):
        self.pico = pico
        self.since = since
        self.lines = [""]

    def update(self, end):
        if end <= self.since:
            return
        answer = self.pico.call("console", since=self.since)
        self.since = answer["end"]
        text = "".join(c for c in answer["text"].replace("\t", " ")
                       if c == "\n" or c.isprintable())
        parts = text.split("\n")
        self.lines[-1] += parts[0]
        self.lines += parts[1:]
        del self.lines[:-CONSOLE_LINES - 1]

    def tail(self):
        lines = self.lines if self.lines[-1] else self.lines[:-1]
        return lines[-CONSOLE_LINES:]


def hms(ns):
    s = int(ns // 1e9)
    return "%d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)


def on_off(flag):
    return "on " if flag else "off"


def frame(s, tokens, console, pending, clock=True):
    """The screen's lines: the LCD and the board's parts, tokens, keys, the console."""
    l1, l2 = s["lcd"]
    time_text = "%s emulated, up %s" % (hms(s["ns"]), hms(s["ns"] - s["boot_ns"]))
    side = ("Relay   %s   LED %s" % ("ON " if s["relay"] else "OFF", on_off(s["led"])),
            "Buzzer  %s   %d beeps" % (on_off(s["buzzer"]), s["beeps"]),
            "S0      %d pulses sent%s" % (s["pulses_sent"],
                                          " (%d to come)" % pending if pending else ""),
            "Board   %s  backlight %s  %s" % ("ON " if s["on"] else "OFF",
                                              on_off(s["backlight"]),
                                              time_text if clock else ""))
    lines = ["+----------------+  " + side[0],
             "|%-16s|  %s" % (l1[:16], side[1]),
             "|%-16s|  %s" % (l2[:16], side[2]),
             "+----------------+  " + side[3]]
    lines += ["  " + t for t in tokens]
    lines += [HELP, "console:"]
    lines += ["  " + c for c in console]
    return [ln.rstrip() for ln in lines]


class Screen:
    """A terminal in raw mode redrawn in place, or a pipe the frame is printed to."""

    def __init__(self, tty):
        self.tty = tty
        self.shown = None
        if tty:
            self.write("\x1b[?25l\x1b[H\x1b[2J")

    def write(self, text):
        sys.stdout.write(text)
        sys.stdout.flush()

    def show(self, lines, key):
        """Draw `lines` unless `key` (what matters in them) is what was drawn last."""
        if key == self.shown:
            return
        self.shown = key
        if self.tty:
            width = shutil.get_terminal_size().columns - 1
            self.write("\x1b[H" + "".join(ln[:width] + "\x1b[K\r\n" for ln in lines) + "\x1b[J")
        else:
            self.write("\n".join(lines) + "\n\n")

    def close(self):
        if self.tty:
            self.write("\x1b[?25h")


class Keyboard:
    """Bytes from stdin: a terminal in raw mode (restored by close()) or a pipe."""

    def __init__(self):
        self.fd = sys.stdin.fileno()
        self.tty = os.isatty(self.fd)
        self.saved = None
        self.eof = False
        if self.tty:
            import termios
            import tty

            self.saved = termios.tcgetattr(self.fd)
            tty.setraw(self.fd)

    def read(self, timeout):
        """What was typed within `timeout` s (str, latin-1), "" if nothing."""
        if self.eof:
            time.sleep(timeout)
            return ""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return ""
        data = os.read(self.fd, 256)
        self.eof = not data
        return data.decode("latin-1")

    def close(self):
        if self.saved is not None:
            import termios

            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
            self.saved = None


class Ui:
    def __init__(self, pico, folder, keyboard):
        self.pico = pico
        self.keyboard = keyboard
        self.screen = Screen(keyboard.tty)
        self.presses = Presses(pico)
        self.console = Console(pico, pico.console_end())
        self.tokens = read_tokens(folder)
        self.polled = 0.0

    def run(self):
        """Until q or the end of piped input."""
        while True:
            for ch in self.keyboard.read(INPUT_S):
                if not self.key(ch):
                    return
            if self.keyboard.eof and not self.presses.busy():
                return
            self.presses.pump()
            if time.monotonic() - self.polled >= POLL_S:
                self.poll()

    def key(self, ch):
        """Act on one typed character; False to quit."""
        if ch in QUIT_KEYS:
            return False
        if ch == "r":
            self.presses.clear()
            self.pico.power_off()
            self.pico.power_on()
        elif ch in PULSE_KEYS:
            self.presses.add_pulses(PULSE_KEYS[ch])
        elif ch in KEYPAD:
            self.presses.key(KEYPAD[ch])
        return True

    def poll(self):
        self.polled = time.monotonic()
        s = self.pico.state()
        self.console.update(s["console_end"])
        args = (s, self.tokens, self.console.tail(), self.presses.pulses)
        lines = frame(*args)
        key = lines if self.keyboard.tty else frame(*args, clock=False)
        self.screen.show(lines, key)

    def close(self):
        self.screen.close()


def read_tokens(folder):
    try:
        return (folder / TOKENS).read_text().splitlines()
    except OSError:
        return ["(no %s)" % TOKENS]


def session(pico, folder):
    """The terminal UI until quit; the terminal is restored whatever happens."""
    keyboard = Keyboard()
    ui = None
    try:
        ui = Ui(pico, folder, keyboard)
        ui.run()
    except KeyboardInterrupt:
        pass
    finally:
        if ui is not None:
            ui.close()
        keyboard.close()


def advice(error):
    """The error as one line, saying what to do."""
    text = " ".join(str(error).split())
    if "`" not in text:
        text += "; %s starts the board again" % AGAIN
    return text


def main(argv=None):
    p = argparse.ArgumentParser(prog="picoterm.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", type=Path, default=None,
                   help="the meter: its flash image, tokens, build (default .sim-pico/, "
                        "with --meter .sim-pico-own/)")
    p.add_argument("--meter", help="your meter.json (tools/provision.py) instead of the demo")
    p.add_argument("--reset", action="store_true", help="forget the meter, make a new one")
    args = p.parse_args(argv)
    if args.dir is None:
        args.dir = ROOT / (".sim-pico-own" if args.meter else ".sim-pico")
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGHUP, signal.default_int_handler)
    sys.stdout.reconfigure(errors="replace")
    pico = None
    try:
        prepare(args.dir, args.reset)
        pico = start(args.dir, args.meter)
        session(pico, args.dir)
    except Fail as e:
        print("picoterm: %s" % e, file=sys.stderr)
        return 1
    except (PicoError, OSError) as e:
        print("picoterm: %s" % advice(e), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("picoterm: interrupted; %s starts again" % AGAIN, file=sys.stderr)
        return 1
    finally:
        if pico is not None:
            pico.close()
    print("\nMeter off (a power cut). Its flash is %s: %s powers it on again; %s makes a "
          "new meter." % (rel(args.dir / IMAGE), AGAIN, RESET))
    return 0


if __name__ == "__main__":
    sys.exit(main())
