#!/usr/bin/env python3
"""A virtual Raspberry Pi Pico: MicroPython's rp2 firmware in an RP2040 emulator, with the
meter's keypad, LCD, relay, LED, buzzer and S0 input at the pins of boards/rpi_pico.py,
its flash in an image file and its USB serial on a pseudo-terminal.

    python tools/virtual_pico.py --image FILE [--print-port] [--lcd present|absent|nack]

prints the pty path (/dev/pts/N) as its first line and serves until Ctrl-C or SIGTERM:
`mpremote connect /dev/pts/N ...` and `make deploy BOARD=rpi_pico PORT=/dev/pts/N` work
as on a Pico. FILE is the board's filesystem (the last 1408 KB of its 2 MB flash, created
blank if missing): stopping and starting again is a power cycle, the files stay.

From Python (tests, the bench, tools/picoterm.py), everything through the pins:

    with VirtualPico(image) as pico:
        pico.type("12345678901234567890#")        # the keypad, contacts bouncing
        pico.wait(lcd="Accept")                    # the LCD's two lines, from the I2C bytes
        pico.relay, pico.lcd, pico.console()       # relay, text, USB serial output
        pico.pulses(100)                           # S0 pulses on the pulse input
        pico.power_cycle()                         # power cut, then power on
        pico.cut_in_flash_write(after=3)           # cut part-way through a later write

The emulator is tools/pico/ (rp2040js, npm): chip.mjs is the chip, its flash and USB,
parts.mjs the parts, server.mjs the process this module starts. Times it reports are
emulated: an RP2040 at 125 MHz without flash cache misses, so a lower bound for a real Pico.
Stepped (the default from Python): the chip runs only while a call waits for it, so a
test runs the same way every time; a pty user (`--print-port`) gets it free-running and
paced to the wall clock.
"""

import ast
import itertools
import json
import os
import pty
import queue
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import tty
from pathlib import Path

import cli

ROOT = Path(__file__).resolve().parent.parent
PICO = ROOT / "tools" / "pico"
UF2 = PICO / "rom" / "micropython-v1.28.0-RPI_PICO.uf2"
BOARD = ROOT / "boards" / "rpi_pico.py"
FS_SIZE = 1408 * 1024
OUT_MAX = 64 * 1024  # serial output kept for a pty nobody reads
PINS = ("KEYPAD_ROWS", "KEYPAD_COLS", "KEYPAD_KEYS", "RELAY_PIN", "RELAY_ACTIVE_LOW",
        "LED_PIN", "BUZZER_PIN", "I2C_ID", "I2C_SDA", "I2C_SCL", "DISPLAY_ADDR", "PULSE_PIN")


class PicoError(Exception):
    """The virtual Pico could not do what was asked (one line, with what to do)."""


class PowerOff(PicoError):
    """The board lost power (a cut, a reset) while a call waited for it."""


def board_pins(path=BOARD):
    """The pin constants of a board module, read without importing it."""
    found = {}
    for node in ast.parse(Path(path).read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            name = getattr(node.targets[0], "id", None)
            if name in PINS:
                found[name] = ast.literal_eval(node.value)
    missing = [p for p in PINS if p not in found]
    if missing:
        raise PicoError("%s lacks %s" % (path, ", ".join(missing)))
    return found


def node_ready():
    """Raise PicoError unless node and tools/pico/node_modules are there."""
    if not (PICO / "node_modules" / "rp2040js").is_dir():
        raise PicoError("the emulator is not installed: run `make setup`")
    return "node"


class VirtualPico:
    """One virtual Pico (a node process). Calls block until the board has done the thing,
    in emulated time; `timeout` bounds the wall time of any call."""

    def __init__(self, image, lcd="present", stepped=True, realtime=False, serial_pty=False,
                 power=True, board=BOARD, timeout=300, bounce_ms=4):
        self.image = Path(image)
        self.timeout = timeout
        cfg = {"uf2": str(UF2), "image": str(self.image), "pins": board_pins(board),
               "lcd": lcd, "stepped": stepped, "realtime": realtime, "power": power,
               "bounce_ms": bounce_ms}
        ours, theirs = socket.socketpair()
        self._sock = ours
        self.proc = subprocess.Popen(
            [node_ready(), str(PICO / "server.mjs"), json.dumps(cfg), str(theirs.fileno())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            pass_fds=(theirs.fileno(),), cwd=str(PICO), start_new_session=True)
        theirs.close()
        self._ids = itertools.count(1)
        self._answers = {}
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read_answers, daemon=True)
        self._reader.start()
        self._serial_out = bytearray()  # board -> host bytes for the pty
        self.port = None
        self._pty_master = None
        self._stop = threading.Event()
        self._stderr = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        if serial_pty:
            self._open_pty()
        else:
            threading.Thread(target=self._discard_serial, daemon=True).start()
        self.call("state")  # the process is up

    # --- plumbing ---
    def _read_answers(self):
        buf = b""
        while True:
            try:
                data = self._sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                with self._lock:
                    for q in self._answers.values():
                        q.put(None)
                    self._answers.clear()
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                answer = json.loads(line)
                with self._lock:
                    q = self._answers.pop(answer.get("id"), None)
                if q is not None:
                    q.put(answer)

    def _drain_stderr(self):
        for line in self.proc.stderr:
            self._stderr.append(line.decode("utf-8", "replace").rstrip())
            del self._stderr[:-5000]

    def _discard_serial(self):
        while self.proc.stdout.read1(65536):
            pass

    def send(self, op, **req):
        """Start a call; returns a queue that will hold its answer (None: the emulator ended)."""
        q = queue.Queue(1)
        ident = next(self._ids)
        with self._lock:
            self._answers[ident] = q
        req.update(id=ident, op=op)
        try:
            self._sock.sendall((json.dumps(req) + "\n").encode())
        except OSError:
            q.put(None)
        return q

    def result(self, q, op="call"):
        try:
            answer = q.get(timeout=self.timeout)
        except queue.Empty:
            raise PicoError("virtual pico: %s took more than %d s of wall time" % (op, self.timeout))
        if answer is None:
            time.sleep(0.2)  # its last words
            raise PicoError("virtual pico: the emulator ended: %s"
                            % (" | ".join(self._stderr[-8:]) or "no message"))
        if "error" in answer:
            raise PicoError("virtual pico: %s: %s" % (op, answer["error"]))
        if answer.get("off") and op not in ("power", "state", "wait?"):
            raise PowerOff("virtual pico: %s: the board lost power (%s)"
                           % (op, answer.get("why")))
        return answer

    def call(self, op, **req):
        return self.result(self.send(op, **req), op)

    # --- the serial port as a pty ---
    def _open_pty(self):
        master, slave = pty.openpty()
        tty.setraw(slave)
        self.port = os.ttyname(slave)
        self._pty_master, self._pty_slave = master, slave  # slave kept open: no EIO between clients
        os.set_blocking(master, False)
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        out = self.proc.stdout.fileno()
        inp = self.proc.stdin.fileno()
        master = self._pty_master
        while not self._stop.is_set():
            wl = [master] if self._serial_out else []
            try:
                r, w, _ = select.select([out, master], wl, [], 0.2)
            except (OSError, ValueError):
                return
            if out in r:
                data = os.read(out, 65536)
                if not data:
                    return
                self._serial_out += data
                del self._serial_out[:-OUT_MAX]
            if master in r:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    data = b""
                if data:
                    try:
                        os.write(inp, data)
                    except OSError:
                        return
            if master in w:
                try:
                    n = os.write(master, bytes(self._serial_out[:4096]))
                    del self._serial_out[:n]
                except (BlockingIOError, OSError):
                    pass

    # --- the board ---
    def state(self):
        """Everything at once: on, ns (emulated), lcd [2 lines], relay, led, buzzer, flash..."""
        return self.call("state")

    @property
    def lcd(self):
        return self.state()["lcd"]

    @property
    def relay(self):
        return self.state()["relay"]

    @property
    def ns(self):
        return self.state()["ns"]

    def power_on(self):
        return self.call("power", on=True)

    def power_off(self):
        """A power cut now: the chip stops, RAM is lost, the flash image stays."""
        return self.call("power", on=False, why="cut")

    def power_cycle(self, off_ms=0):
        self.power_off()
        return self.power_on()

    def reset(self):
        """The reset button (a watchdog reboot): RAM lost, the LCD keeps power."""
        return self.call("reset")

    def mode(self, **kw):
        """realtime=bool (pace idle time to the wall clock), stepped=bool, lcd=present|absent|nack."""
        return self.call("mode", **kw)

    def run(self, ms):
        """Let `ms` of emulated time pass."""
        return self.call("run", ms=ms)

    def wait(self, timeout_ms=10000, check=True, **cond):
        """Wait until lcd=regex (on "line1\\nline2"), relay=bool, led, buzzer, console=regex
        (on the serial output after since=offset) all hold; PicoError after timeout_ms
        of emulated time unless check=False. A reset of the board (not a power cut) does not
        end the wait. Returns the answer (ok, ns, lcd)."""
        while True:
            answer = self.result(self.send("wait", timeout_ms=timeout_ms, **cond), "wait?")
            if not (answer.get("off") and answer.get("why") == "reset"):
                break  # a reset (mpremote reset, the watchdog) restarts the board: wait on
        if answer.get("off"):
            raise PowerOff("virtual pico: wait: the board lost power (%s)" % answer.get("why"))
        if check and not answer["ok"]:
            raise PicoError("virtual pico: waited %d ms for %s; the LCD shows %r; console: %s"
                            % (timeout_ms, cond, answer["lcd"], self.console()[-300:]))
        return answer

    def type(self, keys, hold_ms=80, gap_ms=80):
        """Press keys as a person does (labels of boards/rpi_pico.py KEYPAD_KEYS); returns
        the answer with `pressed`/`released`: emulated ns of each key's first contact and
        final release."""
        return self.call("type", keys=keys, hold_ms=hold_ms, gap_ms=gap_ms)

    def hold(self, key, ms):
        """One long press."""
        return self.call("type", keys=key, hold_ms=ms, gap_ms=0)

    def stick(self, key, on=True):
        """A key stuck down (on) or freed."""
        return self.call("stick", key=key, on=on)

    def pulses(self, n, period_ms=100, width_ms=30):
        """n S0 pulses (the open collector conducting width_ms every period_ms)."""
        return self.call("pulses", n=n, period_ms=period_ms, width_ms=width_ms)

    def cut_in_flash_write(self, after=0, fraction=0.5, kinds=("erase", "program")):
        """Arm a power cut: `after` flash operations of these kinds complete, then the next
        one is cut after `fraction` of its bytes. The board is off once it happened."""
        return self.call("cut", after=after, fraction=fraction, kinds=list(kinds))

    def history(self, since=0):
        """Changes since `since` ns: lcd [ns, l1, l2], relay/led/buzzer [ns, on], flash
        [ns, kind, offset, bytes]."""
        return self.call("history", since=since)

    def console(self, since=0):
        """The board's USB serial output since offset `since` (text)."""
        return self.call("console", since=since)["text"]

    def write(self, text):
        """Bytes from the host on the USB serial (a str of latin-1 characters)."""
        return self.call("write", text=text)

    def exec(self, code, timeout_ms=60000):
        """Run Python on the board through the raw REPL (as mpremote exec does: Ctrl-C stops
        main.py first) and return what it printed. PicoError if it raised."""
        mark = self.console_end()
        self.write("\r\x03\x03")
        self.wait(console=">>> $", since=mark, timeout_ms=timeout_ms)
        mark = self.console_end()
        self.write("\x01")
        self.wait(console="raw REPL; CTRL-B to exit\r\n>$", since=mark, timeout_ms=timeout_ms)
        mark = self.console_end()
        self.write(code + "\x04")
        self.wait(console="^OK[\\s\\S]*\x04[\\s\\S]*\x04>$", since=mark, timeout_ms=timeout_ms)
        out, err = self.console(mark)[2:].rstrip(">").split("\x04")[:2]
        self.write("\x02")  # back to the friendly REPL
        if err:
            raise PicoError("virtual pico: exec: %s" % err.strip().splitlines()[-1])
        return out.replace("\r\n", "\n")

    def console_end(self):
        return self.state()["console_end"]

    def close(self):
        self._stop.set()
        if self.proc.poll() is None:
            try:
                self.call("quit")
            except PicoError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._sock.close()
        if self._pty_master is not None:
            for fd in (self._pty_master, self._pty_slave):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._pty_master = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def main(argv=None):
    ap = cli.Parser(prog="virtual_pico.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--image", required=True, type=Path,
                    help="the board's filesystem image (created blank if missing)")
    ap.add_argument("--print-port", action="store_true", help="print only the pty path")
    ap.add_argument("--lcd", choices=("present", "absent", "nack"), default="present",
                    help="the LCD on I2C: present, absent (no ACK) or failing (data NACKed)")
    ap.add_argument("--no-realtime", action="store_true",
                    help="skip idle time at full speed (device-side timeouts expire early)")
    args = ap.parse_args(argv)
    if args.image.is_dir() or args.image.exists() and args.image.stat().st_size != FS_SIZE:
        cli.fail("%s is not a Pico filesystem image (%d bytes): give a new file name"
                 % (args.image, FS_SIZE))
    if not args.image.exists() and not os.access(args.image.parent.resolve(), os.W_OK):
        cli.fail("cannot make the image %s: its folder is missing or not writable"
                 % args.image)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    try:
        pico = VirtualPico(args.image, lcd=args.lcd, stepped=False,
                           realtime=not args.no_realtime, serial_pty=True)
    except PicoError as e:
        cli.fail(e, status=1)
    try:
        print(pico.port, flush=True)
        if not args.print_port:
            print("virtual Pico on %s, flash %s\n  mpremote connect %s"
                  % (pico.port, args.image, pico.port), file=sys.stderr)
        while not stop.wait(0.5):
            if pico.proc.poll() is not None:
                break
    finally:
        pico.close()


if __name__ == "__main__":
    main()
