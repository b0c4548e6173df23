"""Heap of the whole firmware at rest, run in the MicroPython unix port.

    cd SCRATCH && MICROPYPATH=LIB:host_tests:.frozen micropython -X heapsize=233024 \\
        tools/bench_firmware.py TOKENS.json

The firmware (stsmeter.app) as on a Pico: a 4x4 keypad scanned by its task (over the
simulated matrix of host_tests/simmatrix.py, as the unix port has no Pin), an HD44780
over a fake I2C bus, the meter, the metering task. It takes one token from the keypad
queue, runs a moment, then prints the heap in use at rest (one JSON line).
"""

import asyncio
import gc
import json
import sys

from fake_i2c import FakeI2C
from simmatrix import SimMatrix
from sim_terminal import PanelRelay
from stsmeter import app
from stsmeter.drivers.keypad import Keypad
from stsmeter.drivers.lcd_hd44780 import HD44780_I2C
from stsmeter.hardware import Devices, MatrixKeys

KEYS = "123A456B789C*0#D"


class Board:
    NAME = "bench"

    @staticmethod
    def device_id():
        return b"bench-device-id!"


class QueuedKeys(MatrixKeys):
    """The keypad driver's queue, fed with a token's key events as if typed."""

    def feed(self, text):
        for ch in text:
            self.keypad._put(KEYS.index(ch))  # where the scan task puts key presses


async def settle(fw):
    task = asyncio.create_task(fw.main())
    await asyncio.sleep_ms(300)
    fw.dev.keys.feed(TOKEN[:16])
    await asyncio.sleep_ms(300)
    fw.dev.keys.feed(TOKEN[16:] + "#")
    await asyncio.sleep_ms(1500)
    gc.collect()
    at_rest = gc.mem_alloc()
    fw.running = False
    return at_rest, task


with open(sys.argv[1]) as f:
    doc = json.load(f)
TOKEN = doc["tokens"][0]
with open("meter.json", "w") as f:
    json.dump(doc["meter"], f)
matrix = SimMatrix(4, 4)
kp = Keypad(matrix.rows, matrix.cols, KEYS)
i2c = FakeI2C()
i2c.attach(0x27)
devices = Devices(QueuedKeys(kp), HD44780_I2C(i2c, 0x27), PanelRelay(), keypad=kp)
fw = app.Firmware(Board, devices)
at_rest, _ = asyncio.run(settle(fw))
print(json.dumps({"bench": "firmware_heap", "heap_total": gc.mem_alloc() + gc.mem_free(),
                  "heap_at_rest": at_rest, "credit_wh": fw.meter.credit.wh}))
