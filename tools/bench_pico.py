#!/usr/bin/env python3
"""Board figures measured on the virtual Pico (tools/virtual_pico.py), as JSON lines.

    python tools/bench_pico.py [--policy resident|per_entry|both]

The firmware is deployed as on a real Pico (tools/deploy.py: .mpy for armv6m through
mpremote on the emulator's pty) and driven only through the pins: a key's time is when
its contact first closed, a result's when the LCD (decoded from the I2C bytes) shows it
complete. Every figure is "emulated RP2040 @ 125 MHz; flash cache misses not modelled, a
lower bound" for a real Pico; flash erase and program take the W25Q16JV's typical times
(tools/pico/chip.mjs). Both code-loading policies of boards/rpi_pico.py (CODE_LOADING)
are measured on the same meter, from the same flash image.

Rows: "pico_meter" per policy (boot to ready, '#' to the result for credit tokens, a
short code and a key change set, flash per token between its '#' and its result, flash
wear per save over the whole run with the idle work, free heap at rest and lowest during
an entry), "pico_keypad" (scan cost per row, idle CPU), "pico_decode" (per token, per
algorithm) and "pico_first_start" (provisioning: the first power-on after deploy).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import paths
import sts_requests
from virtual_pico import VirtualPico

HERE, ROOT = Path(paths.TOOLS), Path(paths.ROOT)

NOTE = "emulated RP2040 @ 125 MHz; flash cache misses not modelled, a lower bound"
KEY = "0ABC12DEF3456789"
NEW_KEY = "1122334455667788"
METER = {"decoder_key": KEY, "ea": "07", "base_date": 2014, "key_type": 2, "krn": 1,
         "ti": "01", "sgc": "123456", "ken": 255, "pan": "600727000000000009",
         "mfr_code": "07", "provisioned_at": "2024-06-01T00:00:00Z"}
TARGETS_MS = {"credit_first": 500, "credit_next": 100, "boot_to_ready": 2000}
TARGET_FREE_HEAP_KB = 32
IDLE = (r"^Credit [0-9.]+ kWh *\n(No credit|Low credit|Load [0-9]+ W|Locked [0-9]+ s|TAMPER"
        r"|Overload [0-9]+ s) *$")
ACCEPTED = r"^Accept [0-9.]+ kWh *\nCredit [0-9.]+ kWh *$"
SHORT_CREDIT = r"^Credit *\n[0-9.]+ kWh *$"
KCT_PARTIAL = r"^Key change 1 *\nEnter next token *$"
KCT_DONE = r"^Accept *\nkey changed *$"
HOLD_MS = GAP_MS = 60


def gen(**req):
    req.update(op="generate", alg="sta", rnd=1)
    answer = sts_requests.answer(req)
    if "error" in answer:
        raise SystemExit("bench_pico: cannot make a token: %s" % answer)
    return answer.get("tokens") or answer["token"]


def credit(hour, key=KEY):
    return gen(type="electricity_credit", amount="1", key=key,
               issued="2024-06-01T%02d:00" % hour)


def deploy(folder):
    """A flash image with the firmware deployed and the meter provisioned; the first
    power-on's time (provisioning, sealing the key) as a row."""
    image = folder / "golden.img"
    meter = folder / "meter.json"
    meter.write_text(json.dumps(METER))
    with VirtualPico(image, stepped=False, realtime=True, serial_pty=True) as pico:
        cmd = [sys.executable, str(HERE / "deploy.py"), "--board", "rpi_pico", "--port",
               pico.port, "--meter", str(meter), "--build", str(folder / "build"),
               "--no-reset"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        if r.returncode:
            raise SystemExit("bench_pico: deploy failed: %s" % (r.stderr or r.stdout).strip())
        pico.mode(stepped=True, realtime=False)
        pico.power_off()
        on = pico.power_on()
        ready = pico.wait(lcd=IDLE, timeout_ms=10000)
        first = round((ready["ns"] - on["boot_ns"]) / 1e6, 1)
    return image, {"bench": "pico_first_start", "ms_power_on_to_ready": first,
                   "what": "first power-on after deploy: provisioning, key sealed, first save",
                   "note": NOTE}


def set_policy(image, policy):
    """Rewrite CODE_LOADING in the board's board.py (through the raw REPL)."""
    with VirtualPico(image) as pico:
        pico.wait(lcd=IDLE, timeout_ms=10000)
        want = 'CODE_LOADING = "%s"' % policy
        pico.exec("s = open('board.py').read()\n"
                  "for old in %r:\n"
                  "    s = s.replace(old, %r)\n"
                  "with open('board.py', 'w') as f:\n"
                  "    f.write(s)\n"
                  % (('CODE_LOADING = "resident"', 'CODE_LOADING = "per_entry"'), want))
        out = pico.exec("print(%r in open('board.py').read())" % want)
    if out.strip() != "True":
        raise SystemExit("bench_pico: could not set CODE_LOADING=%s: %s" % (policy, out))


def entry(pico, keys, done):
    """Type keys; ms from the last key's ('#') contact to the LCD showing `done` in full,
    and the flash operations in between."""
    typed = pico.type(keys, hold_ms=HOLD_MS, gap_ms=GAP_MS)
    hash_at = typed["pressed"][-1]
    pico.wait(lcd=done, timeout_ms=5000)
    # the screen may have been complete before the key was even released: the first
    # change of the LCD's text that shows it (the I2C byte that completed it)
    hist = pico.history(since=hash_at)
    shown = next(ns for ns, top, bottom in hist["lcd"] if re.search(done, top + "\n" + bottom))
    ops = [op for op in hist["flash"] if op[0] <= shown]
    pico.run(300)
    return (shown - hash_at) / 1e6, ops


def flash_of(ops):
    return {"erases": sum(1 for o in ops if o[1] == "erase"),
            "programs": sum(1 for o in ops if o[1] == "program"),
            "bytes_erased": sum(o[3] for o in ops if o[1] == "erase"),
            "bytes_programmed": sum(o[3] for o in ops if o[1] == "program")}


def spread(values):
    return {"min": round(min(values), 1), "median": round(statistics.median(values), 1),
            "max": round(max(values), 1)}


def timings(image, policy):
    """Boot and entry times for one policy, on a copy of the image."""
    with VirtualPico(image) as pico:
        ready = pico.wait(lcd=IDLE, timeout_ms=10000)
        boot = ready["ns"] / 1e6  # power-on at emulated time 0
        since = ready["ns"]
        first, ops = entry(pico, credit(1) + "#", ACCEPTED)
        flash = [flash_of(ops)]
        nxt = []
        for hour in range(2, 8):
            ms, ops = entry(pico, credit(hour) + "#", ACCEPTED)
            nxt.append(ms)
            flash.append(flash_of(ops))
        shorts = [entry(pico, "0#", SHORT_CREDIT)[0] for _ in range(3)]
        kct = gen(type="key_change", key=KEY, new_key=NEW_KEY, krn=2, kt=2, ti=1,
                  issued="2024-06-01T10:00")
        kct1, _ = entry(pico, kct[0] + "#", KCT_PARTIAL)
        kct2, _ = entry(pico, kct[1] + "#", KCT_DONE)
        after_kct, _ = entry(pico, credit(11, NEW_KEY) + "#", ACCEPTED)
        pico.run(5000)  # the idle work (the journal's next block) done too
        ops = pico.history(since=since)["flash"]
    n = len(flash)
    # wear over the whole run, idle work included: a save is one 512-byte record program
    saves = sum(1 for o in ops if o[1] == "program" and o[3] == 512)
    wear = {"saves": saves,
            "erases_per_save": round(sum(1 for o in ops if o[1] == "erase") / saves, 3),
            "bytes_programmed_per_save": round(
                sum(o[3] for o in ops if o[1] == "program") / saves)}
    no_erase = [ms for ms, f in zip(nxt, flash[1:]) if not f["erases"]]
    with_erase = [ms for ms, f in zip(nxt, flash[1:]) if f["erases"]]
    return {
        "ms_boot_to_ready": round(boot, 1),
        "ms_credit_first": round(first, 1),
        "ms_credit_next": spread(nxt),
        "ms_credit_next_without_erase": spread(no_erase) if no_erase else None,
        "ms_credit_next_with_erase": spread(with_erase) if with_erase else None,
        "ms_short_code": spread(shorts),
        "ms_key_change": [round(kct1, 1), round(kct2, 1)],
        "ms_credit_after_key_change": round(after_kct, 1),
        "flash_per_token": {k: round(sum(f[k] for f in flash) / n, 2) for k in flash[0]},
        "flash_wear": wear,
        "target_ms": TARGETS_MS,
        "targets_met": {"credit_first": first <= TARGETS_MS["credit_first"],
                        "credit_next": max(nxt) <= TARGETS_MS["credit_next"],
                        "boot_to_ready": boot <= TARGETS_MS["boot_to_ready"]},
    }


HEAP_PROBE = """
import gc, board
import stsmeter
from stsmeter import app, meter
_free = []
_release = meter.release
def _probe(*names):
    gc.collect()
    _free.append(gc.mem_free())
    _release(*names)
meter.release = _probe
_finish = meter.Meter._finish
def _after(self, what):
    _finish(self, what)
    gc.collect()
    _free.append(-gc.mem_free())
meter.Meter._finish = _after
try:
    app.run(board)
except KeyboardInterrupt:
    pass
during = [f for f in _free if f > 0]
rest = [-f for f in _free if f < 0]
print("HEAP", min(during), min(rest), max(rest))
"""


def heap(image):
    """Free heap (after a collection: live data only) at rest after each entry, and the
    lowest at the end of an entry's stages (decoded, then rules applied)."""
    with VirtualPico(image) as pico:
        pico.wait(lcd=IDLE, timeout_ms=10000)
        pico.write("\r\x03\x03")
        pico.wait(console=">>> $", timeout_ms=5000)
        pico.write("\x01")
        pico.wait(console="raw REPL; CTRL-B to exit\r\n>$", timeout_ms=5000)
        mark = pico.console_end()
        pico.write(HEAP_PROBE + "\x04")
        pico.wait(lcd="^ *\n *$", timeout_ms=10000)  # the LCD set up again: cleared
        pico.wait(lcd=IDLE, timeout_ms=10000)
        pico.run(500)
        for hour in (1, 2, 3):
            entry(pico, credit(hour) + "#", ACCEPTED)
        entry(pico, "0#", SHORT_CREDIT)
        pico.write("\x03")
        pico.wait(console="HEAP [0-9]+ [0-9]+ [0-9]+", since=mark, timeout_ms=5000)
        found = re.search(r"HEAP ([0-9]+) ([0-9]+) ([0-9]+)", pico.console(mark))
    during, rest_min, rest_max = (int(x) for x in found.groups())
    return {"free_heap_kb_at_rest": [round(rest_min / 1024, 1), round(rest_max / 1024, 1)],
            "free_heap_kb_lowest_during_an_entry": round(during / 1024, 1),
            "target_free_heap_kb": TARGET_FREE_HEAP_KB,
            "target_met_free_heap": during >= TARGET_FREE_HEAP_KB * 1024}


KEYPAD_PROBE = """
import time, board
from machine import Pin
from stsmeter.drivers.keypad import Keypad
kp = Keypad([Pin(n) for n in board.KEYPAD_ROWS], [Pin(n) for n in board.KEYPAD_COLS],
            board.KEYPAD_KEYS)
def per_scan(n=100):
    t = time.ticks_us()
    for i in range(n):
        kp._read()
    return time.ticks_diff(time.ticks_us(), t) / n
"""


def keypad(image):
    """Keypad scan cost (idle: columns only; a key down: every row) and the firmware's
    idle CPU load (the share of emulated time the CPU is not waiting)."""
    with VirtualPico(image) as pico:
        pico.wait(lcd=IDLE, timeout_ms=10000)
        pico.run(3000)
        s0 = pico.state()
        pico.run(10000)
        s1 = pico.state()
        idle_cpu = (s1["cycles"] - s0["cycles"]) * 8 / (s1["ns"] - s0["ns"])
        pico.exec(KEYPAD_PROBE)
        idle = float(pico.exec("print(per_scan())"))
        pico.stick("5")
        down = float(pico.exec("print(per_scan())"))
    rows = 4
    return {"bench": "pico_keypad", "us_scan_idle": round(idle, 1),
            "us_scan_key_down": round(down, 1),
            "us_per_row": round((down - idle) / rows, 1),
            "idle_cpu_percent": round(100 * idle_cpu, 1), "note": NOTE}


def decode(image):
    """Decode cost per token on the board (tools/bench_codec.py, 20 rounds of its tokens)."""
    script = (HERE / "bench_codec.py").read_text()
    rounds = "else 2000  #"
    assert rounds in script
    with VirtualPico(image) as pico:
        pico.wait(lcd=IDLE, timeout_ms=10000)
        out = pico.exec(script.replace(rounds, "else 20  #"), timeout_ms=600000)
    rows = []
    for line in out.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            rows.append({"bench": "pico_decode", "alg": row["alg"],
                         "ms_per_token": round(row["us_per_token"] / 1000, 2),
                         "bytes_alloc_per_token": row.get("bytes_alloc_per_token"),
                         "note": NOTE})
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--policy", choices=("resident", "per_entry", "both"), default="both")
    args = ap.parse_args(argv)
    policies = ("resident", "per_entry") if args.policy == "both" else (args.policy,)
    with tempfile.TemporaryDirectory(prefix="bench-pico-") as tmp:
        folder = Path(tmp)
        golden, first = deploy(folder)
        print(json.dumps(first), flush=True)
        for policy in policies:
            image = folder / ("%s.img" % policy)
            shutil.copy(golden, image)
            set_policy(image, policy)
            row = {"bench": "pico_meter", "code_loading": policy}
            row.update(timings(image, policy))
            shutil.copy(golden, image)
            set_policy(image, policy)
            row.update(heap(image))
            row["note"] = NOTE
            print(json.dumps(row), flush=True)
        print(json.dumps(keypad(golden)), flush=True)
        for row in decode(golden):
            print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    if not os.path.isdir(ROOT / "tools" / "pico" / "node_modules"):
        sys.exit("bench_pico: the virtual Pico is not installed: run `make setup`")
    sys.exit(main())
