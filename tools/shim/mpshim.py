"""Make CPython look enough like MicroPython to run firmware/ unchanged.

    import mpshim; mpshim.install()

puts this folder (micropython, machine, cryptolib stand-ins) and firmware/lib on sys.path
and adds the MicroPython-only functions to `time` and `asyncio`. Tests and host tools call
it once before importing firmware modules.
"""

import asyncio
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FIRMWARE_LIB = os.path.join(os.path.dirname(os.path.dirname(HERE)), "firmware", "lib")

_TICKS_PERIOD = 1 << 30  # as on a 32-bit board, so wrap-around code is exercised


def ticks_ms():
    return time.monotonic_ns() // 1_000_000 % _TICKS_PERIOD


def ticks_us():
    return time.monotonic_ns() // 1_000 % _TICKS_PERIOD


def ticks_add(ticks, delta):
    return (ticks + delta) % _TICKS_PERIOD


def ticks_diff(a, b):
    return (a - b + _TICKS_PERIOD // 2) % _TICKS_PERIOD - _TICKS_PERIOD // 2


def sleep_ms(ms):
    time.sleep(ms / 1000)


def _asyncio_sleep_ms(ms):
    return asyncio.sleep(ms / 1000)


def install():
    for path in (HERE, FIRMWARE_LIB):
        if path not in sys.path:
            sys.path.insert(0, path)
    for name in ("ticks_ms", "ticks_us", "ticks_add", "ticks_diff", "sleep_ms"):
        if not hasattr(time, name):
            setattr(time, name, globals()[name])
    if not hasattr(asyncio, "sleep_ms"):
        asyncio.sleep_ms = _asyncio_sleep_ms
