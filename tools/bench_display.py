"""Display refresh cost: heap bytes allocated per show() and I2C bytes per change.

    MICROPYPATH=firmware/lib:host_tests .venv/bin/micropython tools/bench_display.py

Prints JSON lines: first {"bench": "display_refresh", ...} for the HD44780 16x2 driver
on a fake I2C bus (host_tests/fake_i2c.py), then the same for a 20x4, then
{"bench": "oled_refresh", ...} for TextOLED on a real `framebuf.FrameBuffer` (when the
runtime has framebuf). "unchanged" shows the same prebuilt lines again; "changed"
alternates two prebuilt screens that differ in one character. Allocation is
gc.mem_alloc() before/after N calls with no collection between, after a warm-up
(MicroPython interns each character the first time it is read out of a str).
Also runs under CPython (no allocation figures there).
"""

import gc
import json
import sys
import time

if sys.implementation.name == "cpython":
    import os

    import paths

    sys.path.insert(0, os.path.join(paths.ROOT, "host_tests"))

from fake_i2c import FakeI2C
from stsmeter.drivers.lcd_hd44780 import HD44780_I2C
from stsmeter.drivers.oled import TextOLED

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
MICROPYTHON = sys.implementation.name == "micropython"

SCREEN_A = ("Credit 123.4 kWh", "Relay on   230 V")
SCREEN_B = ("Credit 123.3 kWh", "Relay on   230 V")
BIG_A = ("Credit 123.4 kWh", "Relay on   230 V", "Load 1.23 kW", "Tamper none")
BIG_B = ("Credit 123.3 kWh", "Relay on   230 V", "Load 1.23 kW", "Tamper none")


def clock_us():
    if hasattr(time, "ticks_us"):
        return time.ticks_us()
    return int(time.perf_counter() * 1e6)


def cost(show, a, b, n):
    """(bytes allocated per call or None, us per call) for n calls of show(a or b)."""
    for i in range(4):  # warm-up: both screens drawn, characters interned
        show(a if i & 1 else b)
    gc.collect()
    before = gc.mem_alloc() if MICROPYTHON else 0
    start = clock_us()
    for i in range(n):
        show(a if i & 1 else b)
    us = time.ticks_diff(clock_us(), start) if hasattr(time, "ticks_diff") else clock_us() - start
    alloc = (gc.mem_alloc() - before) / n if MICROPYTHON else None
    return alloc, us / n


def bench(name, display, bus, a, b):
    show = display.show
    unchanged, _ = cost(show, a, a, ROUNDS)
    sent = bus.bytes
    changed, us = cost(show, a, b, ROUNDS)
    per_change = (bus.bytes - sent) / (ROUNDS + 4)  # the warm-up calls change too
    return {"display": name, "runtime": sys.implementation.name,
            "bytes_alloc_per_show_unchanged": unchanged,
            "bytes_alloc_per_show_changed": changed,
            "bytes_per_i2c_change": per_change, "us_per_show_changed": round(us, 2)}


def hd44780(rows, cols, a, b):
    bus = FakeI2C()
    bus.attach(0x27)
    lcd = HD44780_I2C(bus, rows=rows, cols=cols)
    row = {"bench": "display_refresh"}
    row.update(bench("hd44780_%dx%d" % (cols, rows), lcd, bus, a, b))
    print(json.dumps(row))


def oled():
    try:
        import framebuf
    except ImportError:
        return

    class Panel(framebuf.FrameBuffer):
        """An SSD1306-like device: show() sends the whole 1 KB frame in one write."""

        def __init__(self, bus):
            self.buffer = bytearray(128 * 64 // 8)
            super().__init__(self.buffer, 128, 64, framebuf.MONO_VLSB)
            self.bus = bus

        def show(self):
            self.bus.writeto(0x3C, self.buffer)

    bus = FakeI2C()
    bus.attach(0x3C)
    row = {"bench": "oled_refresh"}
    row.update(bench("ssd1306_128x64", TextOLED(Panel(bus)), bus, SCREEN_A, SCREEN_B))
    print(json.dumps(row))


hd44780(2, 16, SCREEN_A, SCREEN_B)
hd44780(4, 20, BIG_A, BIG_B)
oled()
