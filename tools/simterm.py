#!/usr/bin/env python3
"""`make sim`: the real firmware on the MicroPython unix port, with the PC as the board.

    python3 tools/simterm.py [--dir .sim] [--reset]

On first run it provisions a demo meter in DIR (DKGA04 + EA07, base date 2014) and
writes ready-to-type tokens for it to DIR/tokens.txt, shown under the display. The key
't' makes fresh ones (a credit of an amount typed then, a clear-tamper token) into
DIR/fresh.txt, shown above them; it never reaches the meter. Then it
runs firmware/main.py with boards/sim.py as the board, in DIR (the board's flash), with
the terminal in raw mode. Quitting ('q') is a power cut; starting again powers the meter
back on from its state. --reset forgets the meter and makes a new one.
"""

import argparse
import datetime
import hashlib
import json
import os
import select
import shutil
import subprocess
import sys

import dkga
import paths
import sts_requests
import venv_tools

HERE, ROOT = paths.TOOLS, paths.ROOT

VENDING_KEY = bytes.fromhex("ABABABABABABABAB949494949494949401234567")  # demo only
OTHER_VENDING_KEY = bytes.fromhex("0123456789ABCDEF0123456789ABCDEF01234567")
PAN = "600727000000000009"
SGC, TI, KT = "123457", "01", 2


def demo_key(krn, vending_key=VENDING_KEY):
    return dkga.dkga04(vending_key, 2014, "07", TI, SGC, KT, krn, PAN).hex().upper()


def _token(key, minutes_ago, now, **fields):
    issued = (now - datetime.timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M")
    req = {"op": "generate", "key": key, "alg": "sta", "issued": issued, "rnd": 7,
           "base_date": 2014}
    req.update(fields)
    answer = sts_requests.answer(req)
    if "error" in answer:
        raise ValueError(answer.get("detail") or answer["error"])
    return answer.get("tokens") or [answer["token"]]


def provision(folder, micropython):
    """A demo meter provisioned two hours ago, and tokens for it."""
    used = demo_meter(folder)
    # the "already used" one: enter it once, on the real firmware, with nobody watching
    run(folder, micropython, used + "#q", capture=True)


# Under the display: what the demo meter is, then its tokens in the order to type them
# (what each line says is what happens when the list is typed from the top).
INTRO = (
    "Demo meter (DKGA04, EA07, base date 2014): vending key %s (demo only),",
    "SGC %s, TI %s, KRN 1, PAN %s; decoder key (KRN 1) %s",
    "Credit 0.1 kWh from an earlier token. Type the tokens from the top, each then Enter;",
    "t: fresh tokens (any amount, clear tamper).",
)


def group(token):
    return " ".join(token[i:i + 4] for i in range(0, 20, 4))


def demo_meter(folder):
    """Write the demo meter (DIR/meter.json) and its tokens (DIR/tokens.txt); returns the
    token to enter once on the meter so that it is the "already used" one."""
    now = datetime.datetime.utcnow().replace(second=0, microsecond=0)
    meter = {"decoder_key": demo_key(1), "ea": "07", "base_date": 2014, "key_type": KT,
             "krn": 1, "ti": TI, "sgc": SGC, "ken": 255, "pan": PAN, "mfr_code": "07",
             "provisioned_at": (now - datetime.timedelta(hours=2)).strftime(
                 "%Y-%m-%dT%H:%M:%SZ")}
    key1, key2 = demo_key(1), demo_key(2)
    used = _token(key1, 90, now, type="electricity_credit", amount="0.1")[0]
    kct = _token(key1, 0, now, type="key_change", new_key=key2, krn=2, kt=KT, ti=int(TI))
    tokens = [
        ("0.1 kWh: then + ten times (1 kW), f (x60): out in ~12 s",
         _token(key1, 61, now, type="electricity_credit", amount="0.1")[0]),
        ("10 kWh: after 99# (5 kWh emergency credit), repays it",
         _token(key1, 60, now, type="electricity_credit", amount="10")[0]),
        ("25.6 kWh", _token(key1, 59, now, type="electricity_credit", amount="25.6")[0]),
        ("already used: Used", used),
        ("another meter's: Reject", _token(demo_key(1, OTHER_VENDING_KEY), 57, now,
                                           type="electricity_credit", amount="5")[0]),
        ("max power 3000 W", _token(key1, 56, now, type="max_power_limit", limit_w=3000)[0]),
        ("! (the tamper switch), then this clear-tamper token",
         _token(key1, 54, now, type="clear_tamper")[0]),
        ("key change, 1st of 2", kct[0]),
        ("key change, 2nd of 2", kct[1]),
        ("5 kWh under the new key", _token(key2, 55, now, type="electricity_credit",
                                           amount="5")[0]),
        ("test/display (class 1)", _token(key1, 0, now, type="test_display_1",
                                          control=7, mfr_code=7)[0]),
    ]
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "meter.json"), "w") as f:
        json.dump(meter, f, indent=2)
    with open(os.path.join(folder, "tokens.txt"), "w") as f:
        f.write(INTRO[0] % VENDING_KEY.hex().upper() + "\n")
        f.write(INTRO[1] % (SGC, TI, PAN, key1) + "\n")
        f.write(INTRO[2] + "\n" + INTRO[3] + "\n")
        for label, token in tokens:
            f.write("%s  %s\n" % (group(token), label))
    return used


FRESH = "fresh.txt"  # shown above tokens.txt (boards/sim.py)
VEND_STATE = "vend.json"  # the last minute a fresh token was issued at


def fresh_tokens(folder, amount):
    """Tokens issued now for the demo meter (both keys: before and after the demo key
    change), written to DIR/fresh.txt; each at its own minute (a TID is a minute), never
    one issued before."""
    path = os.path.join(folder, VEND_STATE)
    now = datetime.datetime.utcnow().replace(second=0, microsecond=0)
    try:
        with open(path) as f:
            last = datetime.datetime.strptime(json.load(f)["last"], "%Y-%m-%dT%H:%M")
        now = max(now, last + datetime.timedelta(minutes=1))
    except (OSError, ValueError, KeyError):
        pass
    kinds = [("%s kWh" % amount, dict(type="electricity_credit", amount=amount)),
             ("clear tamper", dict(type="clear_tamper"))]
    lines = ["Fresh tokens (t again: more; Esc cancels the amount):"]
    at = now
    try:
        for krn, after in ((1, ""), (2, " (after the key change, KRN 2)")):
            for label, fields in kinds:
                token = _token(demo_key(krn), 0, at, **fields)[0]
                lines.append("%s  %s%s" % (group(token), label, after))
                at += datetime.timedelta(minutes=1)
    except ValueError as e:
        lines = ["t: no tokens for %r kWh: %s" % (amount, e)]
    with open(path, "w") as f:
        json.dump({"last": (at - datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")}, f)
    write_fresh(folder, lines)


def write_fresh(folder, lines):
    with open(os.path.join(folder, FRESH), "w") as f:
        f.write("".join(line + "\n" for line in lines))


def read_meter(path):
    """A user's meter.json (tools/provision.py) as a dict; ValueError saying what to do if
    it is not one (make sim METER=..., make sim BOARD=rpi_pico METER=...)."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError("cannot read the meter file %s: %s; make one with "
                         "tools/provision.py" % (path, getattr(e, "strerror", None) or e))
    if not isinstance(doc, dict) or "decoder_key" not in doc:
        raise ValueError("%s is not a provisioned meter.json with its decoder_key: make one "
                         "with tools/provision.py" % path)
    return doc


OWN = "own-meter.sha256"  # in DIR: which meter.json of the user's DIR was made from


def own_meter(folder, path, fresh):
    """The user's meter.json (read_meter) for DIR: fresh, it becomes DIR's meter.json, with
    a note on its tokens; else DIR must hold that same meter (ValueError if not)."""
    doc = read_meter(path)
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
    marker = os.path.join(folder, OWN)
    if fresh:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "meter.json"), "w") as f:
            json.dump(doc, f)
        with open(os.path.join(folder, "tokens.txt"), "w") as f:
            f.write(own_tokens_note(doc) + "\n")
        with open(marker, "w") as f:
            f.write(digest + "\n")
        return doc
    try:
        with open(marker) as f:
            same = f.read().strip() == digest
    except OSError:
        same = False
    if not same:
        raise ValueError("%s holds another meter: --reset (make: RESET=1) replaces it with "
                         "%s" % (os.path.relpath(folder), path))
    return doc


def own_tokens_note(doc):
    """What the token list says for a user's meter: how to make its tokens."""
    return ("Your meter (PAN %s): make its tokens with .venv/bin/python tools/sts.py "
            "generate --amount 10 --key <its decoder key>" % doc.get("pan", "?"))


class Keys:
    """The keyboard on its way to the meter: 't' and the amount typed after it stay here
    (fresh tokens), everything else goes on. For a user's own meter (own) 't' says how to
    make its tokens: only the demo meter's vending key is known here."""

    def __init__(self, folder, own=None):
        self.folder = folder
        self.own = own
        self.amount = None  # the amount being typed after 't'

    def feed(self, data):
        out = bytearray()
        for b in data:
            c = chr(b)
            if self.amount is None:
                if c == "t" and self.own:
                    write_fresh(self.folder, [own_tokens_note(self.own)])
                elif c == "t":
                    self.amount = ""
                    self.prompt()
                else:
                    out.append(b)
            elif c in "0123456789." and len(self.amount) < 8:
                self.amount += c
                self.prompt()
            elif b in (0x7F, 0x08):
                self.amount = self.amount[:-1]
                self.prompt()
            elif b in (0x0D, 0x0A):
                fresh_tokens(self.folder, self.amount or "10")
                self.amount = None
            elif b in (0x1B, 0x03, 0x04):  # Esc: cancel; Ctrl-C/D go on to the meter
                self.amount = None
                write_fresh(self.folder, [])
                if b != 0x1B:
                    out.append(b)
        return bytes(out)

    def prompt(self):
        write_fresh(self.folder, ["Fresh tokens: credit in kWh, then Enter (Enter alone: "
                                  "10; Esc: cancel): %s_" % self.amount])


def run(folder, micropython, keys=None, capture=False, own=None):
    for src, name in paths.board_files("sim"):
        shutil.copy(src, os.path.join(folder, name))
    env = dict(os.environ, MICROPYPATH=os.pathsep.join([".", paths.FIRMWARE_LIB, ".frozen"]))
    cmd = [micropython, paths.MAIN_PY]
    if keys is not None:
        return subprocess.run(cmd, cwd=folder, env=env, input=keys.encode(),
                              capture_output=capture).returncode
    write_fresh(folder, [])
    proc = subprocess.Popen(cmd, cwd=folder, env=env, stdin=subprocess.PIPE)
    keyboard = Keys(folder, own)
    fd = sys.stdin.fileno()
    try:
        while proc.poll() is None:
            if not select.select([fd], [], [], 0.2)[0]:
                continue
            data = os.read(fd, 64)
            if not data:  # input closed: the meter reads the end and powers off
                break
            out = keyboard.feed(data)
            if out:
                proc.stdin.write(out)
                proc.stdin.flush()
    except (BrokenPipeError, OSError):
        pass
    finally:
        try:
            proc.stdin.close()
        except OSError:
            pass
    return proc.wait()


def main(argv=None):
    p = argparse.ArgumentParser(prog="simterm.py", description=__doc__.split("\n")[0])
    p.add_argument("--dir", default=None,
                   help="the sim board's flash (default .sim/, with --meter .sim-own/)")
    p.add_argument("--meter", help="your meter.json (tools/provision.py) instead of the demo")
    p.add_argument("--reset", action="store_true", help="forget the meter, make a new one")
    args = p.parse_args(argv)
    if args.dir is None:
        args.dir = os.path.join(ROOT, ".sim-own" if args.meter else ".sim")
    try:
        micropython = venv_tools.tool("micropython")
    except venv_tools.Missing as e:
        sys.exit(str(e))
    if args.reset and os.path.isdir(args.dir):
        shutil.rmtree(args.dir)
    fresh = not os.path.exists(os.path.join(args.dir, "meter.json"))
    own = None
    if args.meter:
        try:
            own = own_meter(args.dir, args.meter, fresh)
        except ValueError as e:
            sys.stderr.write("simterm.py: error: %s\n" % e)
            return 2
    elif fresh:
        provision(args.dir, micropython)
    tty = sys.stdin.isatty()
    saved = None
    if tty:
        import termios
        import tty as tty_mod

        saved = termios.tcgetattr(sys.stdin.fileno())
        tty_mod.setraw(sys.stdin.fileno())
    try:
        code = run(args.dir, micropython, own=own)
    finally:
        if saved is not None:
            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)
    print("\nMeter off (a power cut). Its flash is %s: `make sim` powers it on again;"
          " `.venv/bin/python tools/simterm.py --reset` makes a new meter."
          % os.path.relpath(args.dir))
    return code


if __name__ == "__main__":
    sys.exit(main())
