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
image stays). Input from a pipe works
too: no raw mode, the frame is printed whenever it changes, and the end of the input
quits once the keys typed so far are pressed.
"""

import argparse
import collections
import hashlib
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import paths
import simterm  # (the demo meter and its tokens)
import virtual_pico
from virtual_pico import PicoError, VirtualPico

HERE, ROOT = Path(paths.TOOLS), Path(paths.ROOT)
BOARD = "rpi_pico"
DEPLOY = HERE / "deploy.py"
PIN_MAP = Path(paths.BOARDS) / (BOARD + ".py")
MAIN_PY = Path(paths.MAIN_PY)
IMAGE, METER, TOKENS, HASH, BUILD = (
    "flash.img", "meter.json", "tokens.txt", "deployed.sha256", "build")
POLL_S = 0.05  # the board's state, read this often
INPUT_S = 0.02  # keys and answers, looked at this often
HOLD_MS = 80  # a person's key press
# The pause after each press, so that keys typed ahead are pressed one by one with the
# release held longer than the firmware's 40 ms debounce.
GAP_MS = 80
CONSOLE_LINES = 6
READY_LCD = "Credit|Cr "  # the idle screen
HELP = ("keys: 0-9  * or Backspace  # or Enter  c clear  (a b d: not used)  "
        "p/P 10/100 Wh of S0 pulses  r power cycle  q quit")
KEYPAD = {c: c.upper() for c in "0123456789*#ABCDabcd"}  # typed -> keypad label
KEYPAD.update({"\x7f": "*", "\x08": "*", "\r": "#", "\n": "#"})
QUIT_KEYS = ("q", "\x03", "\x04")
PULSE_KEYS = {"p": 10, "P": 100}  # 1 Wh each at 1000 imp/kWh
AGAIN = "`make sim BOARD=rpi_pico`"
RESET = "`.venv/bin/python tools/picoterm.py --reset`"


class Fail(Exception):
    """Something picoterm cannot go on from: one line, saying what to do."""


# --- the meter's folder ---

def prepare(folder, reset):
    """DIR made (Fail if it cannot be); with reset, picoterm's files in it are removed."""
    if folder.exists() and not folder.is_dir():
        raise Fail("--dir %s is a file, not a folder: give a folder (default .sim-pico/)"
                   % folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise Fail("cannot make --dir %s: %s" % (folder, e.strerror or e)) from None
    if reset:
        forget(folder)


def forget(folder):
    """Remove the meter: the flash image, the provisioning files and the build."""
    for name in (HASH, IMAGE, METER, TOKENS, simterm.OWN):
        try:
            (folder / name).unlink()
        except FileNotFoundError:
            pass
    shutil.rmtree(folder / BUILD, ignore_errors=True)


def is_new(folder):
    """True until a first deploy finished (its hash is written last)."""
    return not ((folder / HASH).exists() and (folder / IMAGE).exists())


def check_image(path):
    if path.exists() and path.stat().st_size != virtual_pico.FS_SIZE:
        raise Fail("%s is not a Pico flash image (%d bytes): %s makes a new meter"
                   % (path, path.stat().st_size, RESET))


# --- the firmware: build, hash, deploy ---

def firmware_hash(folder):
    """sha256 of the compiled modules, main.py and the pin map, as they would be deployed."""
    h = hashlib.sha256()
    lib = folder / BUILD / BOARD / "lib"
    files = [(p.relative_to(lib).as_posix(), p) for p in sorted(lib.rglob("*")) if p.is_file()]
    files += [(":main.py", MAIN_PY), (":board.py", PIN_MAP)]
    for name, path in files:
        data = path.read_bytes()
        h.update(b"%s\0%d\0" % (name.encode(), len(data)))
        h.update(data)
    return h.hexdigest()


def run_deploy(folder, *args):
    """tools/deploy.py for this board with its build in DIR/build; Fail on an error."""
    cmd = [sys.executable, str(DEPLOY), "--board", BOARD, "--build", str(folder / BUILD)]
    r = subprocess.run(cmd + list(args), capture_output=True, text=True, cwd=str(ROOT))
    if r.returncode:
        lines = [ln.strip() for ln in (r.stderr + r.stdout).splitlines() if ln.strip()]
        why = lines[-1] if lines else "exit status %d" % r.returncode
        raise Fail("%s; try %s again, or %s for a new meter" % (why, AGAIN, RESET))


def deploy(pico, folder, new):
    """The real deploy path onto the running board; returns the deployed firmware's hash."""
    print("Deploying the firmware onto the virtual Pico (%s) with tools/deploy.py and "
          "mpremote: about 20 s." % rel(folder / IMAGE), flush=True)
    meter = ["--meter", str(folder / METER)] if new else []
    run_deploy(folder, "--port", pico.port, *meter)
    return firmware_hash(folder)


def enter_used_token(pico, token):
    """Type the "already used" token once, on the keypad, and wait for its accept."""
    print("Entering the \"already used\" demo token on the keypad.", flush=True)
    for _ in range(3):  # the reset deploy asked for may come after deploy returned
        try:
            pico.wait(lcd=READY_LCD, timeout_ms=120000)
            break
        except virtual_pico.PowerOff:
            time.sleep(0.5)
    pico.type(token + "#", hold_ms=HOLD_MS, gap_ms=GAP_MS)
    pico.wait(lcd="Accept", timeout_ms=30000)


def own_meter(folder, meter, fresh):
    """simterm.own_meter for DIR, its error a Fail."""
    try:
        simterm.own_meter(str(folder), meter, fresh)
    except ValueError as e:
        raise Fail(str(e)) from None


def start(folder, meter=None):
    """The board on, running the latest firmware (deployed if it changed); returns it.
    meter: the user's meter.json, deployed on the first run instead of the demo meter."""
    new = is_new(folder)
    used = None
    if new:
        forget(folder)
        if meter:
            own_meter(folder, meter, True)
        else:
            used = simterm.demo_meter(str(folder))
    elif meter:  # (DIR holds a meter already: the same one, or refused)
        own_meter(folder, meter, False)
    check_image(folder / IMAGE)
    pico = power_on(folder / IMAGE)
    try:
        run_deploy(folder, "--build-only")  # while the board boots
        if new or firmware_hash(folder) != read_hash(folder):
            digest = deploy(pico, folder, new)
            if used:
                enter_used_token(pico, used)
            (folder / HASH).write_text(digest + "\n")
    except BaseException:
        pico.close()
        raise
    return pico


def power_on(image):
    try:
        return VirtualPico(image, stepped=False, realtime=True, serial_pty=True)
    except FileNotFoundError:
        raise Fail("node not found: install Node.js, then run `make setup`") from None


def read_hash(folder):
    try:
        return (folder / HASH).read_text().strip()
    except OSError:
        return None


def rel(path):
    """A path as the person would type it: relative to here when under here."""
    path = os.path.relpath(path)
    return os.path.abspath(path) if path.startswith("..") else path


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
