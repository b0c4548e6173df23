"""Meter memory and flash wear, run in the MicroPython unix port.

    MICROPYPATH=firmware/lib micropython -X heapsize=64k tools/bench_meter.py heap TOKENS.json
    MICROPYPATH=firmware/lib micropython tools/bench_meter.py flash TOKENS.json

TOKENS.json: {"meter": {...meter.json...}, "tokens": [20-digit credit tokens...]}.
`heap` (state kept in RAM files) prints the live heap with the meter at rest (after the
tokens) and during a token (when it reports its result: the code the token loaded is in
RAM until then). bench.py also finds the smallest `-X heapsize` that runs it all.
`flash` keeps the state on littlefs over a RAM block device shaped like an RP2040's
flash (4 KB blocks, 256-byte pages) and prints the record bytes, bytes programmed and
blocks erased per accepted token.
"""

import gc
import json
import os
import sys

from stsmeter.config import Config
from stsmeter.meter import Meter
from stsmeter.seal import Sealer
from stsmeter.store import Store


class CountingFlash:
    """RAM block device (the extended block protocol of vfs.VfsLfs2) that counts wear."""

    def __init__(self, blocks=64, block_size=4096):
        self.block_size = block_size
        self.data = bytearray(blocks * block_size)
        self.programmed = 0
        self.erased = 0

    def readblocks(self, n, buf, off=0):
        start = n * self.block_size + off
        buf[:] = self.data[start : start + len(buf)]

    def writeblocks(self, n, buf, off=None):
        if off is None:  # whole-block write: erase then program
            self.erased += 1
            off = 0
        start = n * self.block_size + off
        self.data[start : start + len(buf)] = buf
        self.programmed += len(buf)

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return len(self.data) // self.block_size
        if op == 5:  # block size
            return self.block_size
        if op == 6:  # erase
            self.erased += 1
            start = arg * self.block_size
            for i in range(start, start + self.block_size):
                self.data[i] = 0xFF
            return 0
        return 0


class RamFiles:
    """State files kept in a dict (the store's Files protocol)."""

    def __init__(self):
        self.data = {}

    def read(self, path):
        return self.data.get(path)

    def write(self, path, data):
        self.data[path] = bytes(data)

    def rename(self, src, dst):
        self.data[dst] = self.data.pop(src)

    def mkdir(self, path):
        pass


def enter(meter, token):
    for i in range(20):
        meter.press(token[i])
    meter.press("#")


def heap(doc):
    cfg = Config(doc["meter"])
    sealer = Sealer(b"bench-device-id!")
    peak = [0]

    def on_event(event):
        # A token's result is reported with everything the token loaded still in RAM (its
        # modules are released after it): the live heap then is its peak.
        if event["event"] == "result":
            gc.collect()
            peak[0] = max(peak[0], gc.mem_alloc())

    meter = Meter(cfg, Store("state", sealer.cmac, RamFiles()), sealer, 0, on_event,
                  os.urandom)
    for token in doc["tokens"]:
        enter(meter, token)
    gc.collect()
    return {"bench": "meter_heap", "heap_total": gc.mem_alloc() + gc.mem_free(),
            "heap_at_rest": gc.mem_alloc(), "heap_peak_token": peak[0],
            "accepted": len(doc["tokens"])}


def flash(doc):
    cfg = Config(doc["meter"])
    dev = CountingFlash()
    os.VfsLfs2.mkfs(dev, progsize=256)
    os.mount(os.VfsLfs2(dev, progsize=256), "/flash")
    sealer = Sealer(b"bench-device-id!")
    meter = Meter(cfg, Store("/flash/state", sealer.cmac), sealer, 0, None, os.urandom)
    saved, programmed, erased = meter.bytes_saved, dev.programmed, dev.erased
    for token in doc["tokens"]:
        enter(meter, token)
    n = len(doc["tokens"])
    return {"bench": "meter_flash", "tokens": n,
            "record_bytes_per_token": (meter.bytes_saved - saved) // n,
            "flash_bytes_programmed_per_token": (dev.programmed - programmed) // n,
            "flash_blocks_erased_per_token": (dev.erased - erased) / n}


def main():
    with open(sys.argv[2]) as f:
        doc = json.load(f)
    print(json.dumps((heap if sys.argv[1] == "heap" else flash)(doc)))


main()
