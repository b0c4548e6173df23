#!/usr/bin/env python3
"""A virtual MicroPython board: the unix port behind a pty, so that mpremote can drive it.

    python tools/virtual_board.py --root DIR [--print-port] [--micropython EXE]

prints the pty path (/dev/pts/N) as its first stdout line and serves until SIGTERM or
SIGINT. Then `mpremote connect /dev/pts/N exec|run|fs|mip|soft-reset|repl ...` work as
they do on a board.

The board's filesystem is DIR: MicroPython runs with DIR as its current directory and
MICROPYPATH=DIR/lib:DIR:.frozen, so `:main.py` is DIR/main.py and `:lib/pkg/m.mpy` is
DIR/lib/pkg/m.mpy. It is not a sandbox: an absolute remote path (`:/etc/x`) is a host path.

What makes the unix port behave like a board on a serial line:

1. Its pty is raw (no ONLCR: MicroPython writes \\r\\n itself, and mpremote waits for exact
   byte strings) but keeps ISIG, and it is the child's controlling tty, so a 0x03 byte
   that reaches code run from the friendly REPL raises KeyboardInterrupt (SIGINT).
2. A soft reset (Ctrl-D at an empty prompt, or sys.exit()) ends the unix process. The
   bridge then prints "MPY: soft reboot", starts a fresh process and, if the old one was in
   the raw REPL, puts the new one there (Ctrl-A) without showing its banner. So mpremote's
   automatic soft reset before exec/run/fs/mip works, and `resume` is optional.
   Unlike a board, the fresh process does NOT run boot.py or main.py: it starts at the
   REPL. Start the application with `mpremote connect PORT exec "import main"`.
3. Code that mpremote starts (exec, run) is sent in raw-paste mode, where the unix port
   leaves the terminal without ISIG, so a 0x03 byte would just be queued. While the child
   is not at a prompt the bridge therefore turns 0x03 into one SIGINT (the byte is dropped),
   as a board's UART interrupt would. At a prompt the byte is passed on: the REPL handles
   it there, and a SIGINT would kill the process.

Other differences from a board: printed lines end in \\n, not \\r\\n (the unix port leaves
that to the terminal); `fs ls` shows every size as 0; there is no machine.RTC or
machine.reset, so `mpremote rtc` and `mpremote reset` do not work: use `soft-reset`.

The unix port flushes its pending input whenever it switches terminal modes (at start-up
and after code run from the friendly REPL), so input from the host is held back until the
child shows a prompt. Output nobody reads is dropped beyond OUT_MAX bytes, as on a board
whose USB serial port is not open.
"""

import os
import pty
import select
import shutil
import signal
import sys
import termios
import time
import tty

import cli

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
FRIENDLY_PROMPTS = (b">>> ", b"... ", b"=== ")  # start of the line being typed
SOFT_REBOOT = b"MPY: soft reboot\r\n"
CTRL_A, CTRL_C = b"\x01", 3
OUT_MAX = 64 * 1024
SIGINT_GAP = 0.25  # s; a second SIGINT before the first is handled makes the unix port exit(1)
SIGINT_HOLD = 2.0  # s; host input held after a SIGINT while waiting for the prompt


def default_micropython():
    beside = os.path.join(os.path.dirname(sys.executable), "micropython")
    return beside if os.path.exists(beside) else shutil.which("micropython")


def spawn(exe, root):
    """Start MicroPython on a new pty that is its controlling tty; returns (pid, master fd)."""
    # ".frozen": the port's frozen modules (asyncio), on a board's sys.path as well
    env = dict(os.environ, MICROPYPATH=os.pathsep.join([os.path.join(root, "lib"), root,
                                                        ".frozen"]))
    pid, fd = pty.fork()  # the child is a session leader with the pty as controlling tty
    if pid == 0:
        try:
            tty.setraw(0)
            attrs = termios.tcgetattr(0)
            attrs[3] |= termios.ISIG  # keep 0x03 -> SIGINT for code run from the friendly REPL
            # Ctrl-\ and Ctrl-Z stay plain bytes: only Ctrl-C is a signal, as on a board
            attrs[6][termios.VQUIT] = attrs[6][termios.VSUSP] = attrs[6][termios.VINTR]
            termios.tcsetattr(0, termios.TCSANOW, attrs)
            os.chdir(root)
            os.execve(exe, [exe], env)
        except BaseException as e:  # noqa: B036 - anything here must end the child
            os.write(2, ("virtual_board: cannot start %s: %s\r\n" % (exe, e)).encode())
        os._exit(127)
    os.set_blocking(fd, False)
    return pid, fd


class Bridge:
    """Copies bytes between the host-side pty (mpremote) and the MicroPython process."""

    def __init__(self, exe, root):
        self.exe, self.root = exe, root
        self.port_fd, slave = pty.openpty()
        tty.setraw(slave)
        self.port = os.ttyname(slave)
        self._slave = slave  # kept open: the port stays usable while no client has it open
        os.set_blocking(self.port_fd, False)
        self.to_port = bytearray()  # child output not yet taken by the host
        self.to_child = bytearray()  # host input not yet given to the child
        self.raw_repl = False  # the child was last seen in the raw REPL
        self.pid = None
        self.start(raw_repl=False)

    def start(self, raw_repl):
        self.pid, self.fd = spawn(self.exe, self.root)
        self.tail = b""  # the end of the child's output, to recognise the raw REPL prompt
        self.line_start = b""  # the first bytes of its current output line: friendly prompts
        self.at_prompt = False
        self.hold_until = float("inf")  # host input waits for the first prompt
        self.hide_banner = raw_repl  # until the new process is in the raw REPL
        self.last_sigint = 0.0
        self.seen_prompt = False

    def restart(self):
        """The child ended (soft reset): report it like a board and start a fresh one."""
        os.close(self.fd)
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        if not self.seen_prompt:
            raise SystemExit("virtual_board: %s ended before its first prompt (status %d)"
                             % (self.exe, os.waitstatus_to_exitcode(status)))
        self.send_port(SOFT_REBOOT)
        self.start(self.raw_repl)

    def send_port(self, data):
        self.to_port += data
        del self.to_port[:-OUT_MAX]

    def from_child(self):
        try:
            data = os.read(self.fd, 4096)
        except BlockingIOError:
            return
        except OSError:  # EIO: the child's side of the pty is closed, the process ended
            data = b""
        if not data:
            self.restart()
            return
        self.tail = (self.tail + data)[-64:]
        if self.hide_banner:  # a soft reset in the raw REPL comes back to the raw REPL
            if self.tail.endswith(b">>> "):
                os.write(self.fd, CTRL_A)
            if not self.tail.endswith(RAW_BANNER + b">"):
                return
            self.hide_banner = False
            data = RAW_BANNER + b">"
        self.send_port(data)
        if b"\n" in data:
            self.line_start = data.rpartition(b"\n")[2][:4]
        else:
            self.line_start = (self.line_start + data)[:4]
        if self.tail.endswith(RAW_BANNER + b">"):
            self.raw_repl = True
        elif self.tail.endswith(b">>> "):
            self.raw_repl = False
        # raw REPL: nothing is echoed, so the prompt ends the output; friendly REPL: the
        # line being typed is echoed after the prompt
        self.at_prompt = self.tail.endswith(b">") or self.line_start in FRIENDLY_PROMPTS
        if self.at_prompt:
            self.seen_prompt = True
            self.hold_until = 0.0

    def from_port(self):
        try:
            data = os.read(self.port_fd, 4096)
        except (BlockingIOError, OSError):
            return
        if CTRL_C in data and not self.at_prompt and self.seen_prompt:
            now = time.monotonic()
            if now - self.last_sigint > SIGINT_GAP:
                os.kill(self.pid, signal.SIGINT)
                self.last_sigint = now
            self.hold_until = now + SIGINT_HOLD
            data = data.replace(b"\x03", b"")
        self.to_child += data

    def write(self, fd, buf):
        try:
            n = os.write(fd, buf[:4096])
        except (BlockingIOError, OSError):
            return
        del buf[:n]

    def serve(self):
        while True:
            now = time.monotonic()
            child_ok = now >= self.hold_until
            rlist = [self.port_fd, self.fd]
            wlist = [fd for fd, buf in ((self.port_fd, self.to_port), (self.fd, self.to_child))
                     if buf and (fd != self.fd or child_ok)]
            timeout = None
            if self.to_child and not child_ok and self.hold_until != float("inf"):
                timeout = self.hold_until - now
            r, w, _ = select.select(rlist, wlist, [], timeout)
            pid = self.pid
            if self.fd in r:
                self.from_child()
            if self.port_fd in r:
                self.from_port()
            if self.port_fd in w:
                self.write(self.port_fd, self.to_port)
            if self.fd in w and self.pid == pid:  # not if the child was just restarted
                self.write(self.fd, self.to_child)

    def close(self):
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGTERM)
                for _ in range(50):
                    if os.waitpid(self.pid, os.WNOHANG)[0]:
                        break
                    time.sleep(0.02)
                else:
                    os.kill(self.pid, signal.SIGKILL)
                    os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.pid = None
        for fd in (self.fd, self.port_fd, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass


def main(argv=None):
    ap = cli.Parser(prog="virtual_board.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", required=True, help="host folder that is the board's filesystem")
    ap.add_argument("--print-port", action="store_true",
                    help="print only the pty path (no hint on stderr)")
    ap.add_argument("--micropython", default=default_micropython(),
                    help="MicroPython unix port executable (default: beside this python)")
    args = ap.parse_args(argv)
    if not args.micropython or not os.path.exists(args.micropython):
        cli.fail("MicroPython unix port not found: run `make setup`, or give --micropython")
    root = os.path.abspath(args.root)
    try:
        os.makedirs(root, exist_ok=True)
    except OSError as e:
        cli.fail("cannot use --root %s: %s: give a folder (it is made if missing)"
                 % (args.root, e.strerror or e))

    def stop(signum, frame):
        raise SystemExit(0)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, stop)
    bridge = Bridge(args.micropython, root)
    try:
        print(bridge.port, flush=True)
        if not args.print_port:
            print("virtual board on %s, filesystem %s (soft reset does not run main.py)\n"
                  "  mpremote connect %s" % (bridge.port, root, bridge.port), file=sys.stderr)
        bridge.serve()
    finally:
        bridge.close()


if __name__ == "__main__":
    main()
