#!/usr/bin/env python3
"""`make sim`: the real firmware on the MicroPython unix port, with the PC as the board.

    python3 tools/simterm.py [--dir .sim] [--reset]

On first run it provisions a demo meter in DIR (DKGA04 + EA07, base date 2014) and
writes ready-to-type tokens for it to DIR/tokens.txt, shown under the display. Then it
runs firmware/main.py with boards/sim.py as the board, in DIR (the board's flash), with
the terminal in raw mode. Quitting ('q') is a power cut; starting again powers the meter
back on from its state. --reset forgets the meter and makes a new one.
"""

import argparse
import datetime
import json
import os
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
    return answer.get("tokens") or [answer["token"]]


def provision(folder, micropython):
    """A demo meter provisioned two hours ago, and tokens for it."""
    used = demo_meter(folder)
    # the "already used" one: enter it once, on the real firmware, with nobody watching
    run(folder, micropython, used + "#q", capture=True)


def demo_meter(folder):
    """Write the demo meter (DIR/meter.json) and its tokens (DIR/tokens.txt); returns the
    token to enter once on the meter so that it is the "already used" one."""
    now = datetime.datetime.utcnow().replace(second=0, microsecond=0)
    meter = {"decoder_key": demo_key(1), "ea": "07", "base_date": 2014, "key_type": KT,
             "krn": 1, "ti": TI, "sgc": SGC, "ken": 255, "pan": PAN, "mfr_code": "07",
             "provisioned_at": (now - datetime.timedelta(hours=2)).strftime(
                 "%Y-%m-%dT%H:%M:%SZ")}
    key1, key2 = demo_key(1), demo_key(2)
    used = _token(key1, 90, now, type="electricity_credit", amount="1")[0]
    kct = _token(key1, 0, now, type="key_change", new_key=key2, krn=2, kt=KT, ti=int(TI))
    tokens = [
        ("10 kWh", _token(key1, 60, now, type="electricity_credit", amount="10")[0]),
        ("25.6 kWh", _token(key1, 59, now, type="electricity_credit", amount="25.6")[0]),
        ("2 kWh, then watch it run out", _token(key1, 58, now, type="electricity_credit",
                                                amount="2")[0]),
        ("already used: Used", used),
        ("another meter's: Reject", _token(demo_key(1, OTHER_VENDING_KEY), 57, now,
                                           type="electricity_credit", amount="5")[0]),
        ("max power 3000 W", _token(key1, 56, now, type="max_power_limit", limit_w=3000)[0]),
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
        for label, token in tokens:
            group = " ".join(token[i:i + 4] for i in range(0, 20, 4))
            f.write("%s  %s\n" % (group, label))
    return used


def run(folder, micropython, keys=None, capture=False):
    for src, name in paths.board_files("sim"):
        shutil.copy(src, os.path.join(folder, name))
    env = dict(os.environ, MICROPYPATH=os.pathsep.join([".", paths.FIRMWARE_LIB, ".frozen"]))
    cmd = [micropython, paths.MAIN_PY]
    if keys is not None:
        return subprocess.run(cmd, cwd=folder, env=env, input=keys.encode(),
                              capture_output=capture).returncode
    return subprocess.run(cmd, cwd=folder, env=env).returncode


def main(argv=None):
    p = argparse.ArgumentParser(prog="simterm.py", description=__doc__.split("\n")[0])
    p.add_argument("--dir", default=os.path.join(ROOT, ".sim"), help="the sim board's flash")
    p.add_argument("--reset", action="store_true", help="forget the meter, make a new one")
    args = p.parse_args(argv)
    try:
        micropython = venv_tools.tool("micropython")
    except venv_tools.Missing as e:
        sys.exit(str(e))
    if args.reset and os.path.isdir(args.dir):
        shutil.rmtree(args.dir)
    if not os.path.exists(os.path.join(args.dir, "meter.json")):
        provision(args.dir, micropython)
    tty = sys.stdin.isatty()
    saved = None
    if tty:
        import termios
        import tty as tty_mod

        saved = termios.tcgetattr(sys.stdin.fileno())
        tty_mod.setraw(sys.stdin.fileno())
    try:
        code = run(args.dir, micropython)
    finally:
        if saved is not None:
            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)
    print("\nMeter off (a power cut). Its flash is %s: `make sim` powers it on again;"
          " `.venv/bin/python tools/simterm.py --reset` makes a new meter."
          % os.path.relpath(args.dir))
    return code


if __name__ == "__main__":
    sys.exit(main())
