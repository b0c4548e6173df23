"""Keypad scan cost on MicroPython: heap bytes and microseconds per scan() cycle.

    MICROPYPATH=firmware/lib:host_tests .venv/bin/micropython tools/bench_keypad.py [SCANS]
    node tools/wasm/run.mjs --lib firmware/lib --lib host_tests tools/bench_keypad.py [SCANS]

A 4x4 Keypad over the simulated matrix (host_tests/simmatrix.py), 10 ms apart, in three
phases: idle; keys held (2-key rollover, long presses, a 3-key ghost rectangle);
bouncing presses and releases. Prints one JSON line. Bytes are gc.mem_alloc() growth
with no collection in between (target 0). Times are the best of 3 runs and include the
simulated pins (Python objects, far slower than a board's Pin). us_per_scan_pin_io is
the pin traffic of one full row-by-row scan without the keypad logic; an idle scan needs
about half of it (all rows low at once, one read per column, no key: done).
"""

import gc
import json
import sys
import time

from simmatrix import PRESS_BOUNCE, RELEASE_BOUNCE, SimMatrix
from stsmeter.drivers.keypad import Keypad

SCANS = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
PERIOD_MS = 10
KEYS = "123A456B789C*0#D"


def clock_us():
    if hasattr(time, "ticks_us"):
        return time.ticks_us()
    return int(time.perf_counter() * 1e6)


def idle(m, kp, now, i):
    pass


def held(m, kp, now, i):
    step = i % 400
    if step == 0:
        m.press(0)  # "1", held into a long press
    elif step == 150:
        m.press(5)  # "5" as well: 2-key rollover
    elif step == 200:
        m.press(1)  # 3 corners of a rectangle: "6" would be a phantom
    elif step == 250:
        m.release_all()


def bouncing(m, kp, now, i):
    step = i % 40
    if step == 0:
        m.play(10, now, PRESS_BOUNCE)
    elif step == 20:
        m.play(10, now, RELEASE_BOUNCE, True)


def drain(kp):
    n = 0
    while kp.get() >= 0:
        n += 1
    return n


def phase(m, kp, action, t, scans):
    """Run `scans` cycles from tick t; returns (bytes, us, events, t)."""
    for i in range(100):  # warm-up, not measured
        action(m, kp, t, i)
        m.at(t)
        kp.scan(t)
        t += PERIOD_MS
    m.release_all()
    for i in range(10):  # let the release settle
        m.at(t)
        kp.scan(t)
        t += PERIOD_MS
    drain(kp)
    events = 0
    gc.collect()
    before = gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0
    start = clock_us()
    for i in range(scans):
        action(m, kp, t, i)
        m.at(t)
        kp.scan(t)
        events += drain(kp)
        t += PERIOD_MS
    us = clock_us() - start
    after = gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0
    return after - before, us, events, t


def best_phase(m, kp, action, t, scans, runs=3):
    alloc, us, events, t = phase(m, kp, action, t, scans)
    for _ in range(runs - 1):
        a, u, _, t = phase(m, kp, action, t, scans)
        alloc = max(alloc, a)
        us = min(us, u)
    return alloc, us, events, t


def pin_io(m, scans, runs=3):
    """The pin calls of a full scan, without the keypad logic (best of `runs`)."""
    rows = m.rows
    cols = m.cols
    best = None
    for _ in range(runs):
        start = clock_us()
        for _ in range(scans):
            for r in range(4):
                rows[r].value(0)
                for c in range(4):
                    cols[c].value()
                rows[r].value(1)
        us = clock_us() - start
        best = us if best is None else min(best, us)
    return best / scans


def main():
    m = SimMatrix(4, 4)
    kp = Keypad(m.rows, m.cols, KEYS, debounce_ms=40, long_ms=1000, queue_len=16)
    out = {"bench": "keypad_scan", "runtime": sys.implementation.name, "scans": SCANS}
    t = 1000
    worst = 0
    total_us = 0
    for name, action in (("idle", idle), ("held", held), ("bouncing", bouncing)):
        alloc, us, events, t = best_phase(m, kp, action, t, SCANS)
        out["bytes_alloc_per_scan_" + name] = alloc / SCANS
        out["us_per_scan_" + name] = round(us / SCANS, 2)
        out["events_" + name] = events
        worst = max(worst, alloc / SCANS)
        total_us += us
    out["bytes_alloc_per_scan"] = worst
    out["us_per_scan"] = round(total_us / (3 * SCANS), 2)
    out["us_per_scan_pin_io"] = round(pin_io(m, SCANS), 2)
    if not hasattr(gc, "mem_alloc"):
        out["bytes_alloc_per_scan"] = None
    print(json.dumps(out))


main()
