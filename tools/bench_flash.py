"""Flash wear per accepted token, run in the MicroPython unix port.

    MICROPYPATH=firmware/lib:tools micropython tools/bench_flash.py TOKENS.json

The state is kept on littlefs over a RAM block device shaped like an RP2040's flash (4 KB
blocks, 256-byte pages); prints the record bytes, bytes programmed and blocks erased per
accepted token, and the time a token takes from its first key to its result (loading the
code it needs and saving included). TOKENS.json as for bench_meter.py.
"""

import json
import os
import sys
import time

import stsmeter
from bench_meter import enter
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


def flash(doc):
    stsmeter.collect_often()  # as the firmware does (app.run)
    cfg = Config(doc["meter"])
    dev = CountingFlash()
    os.VfsLfs2.mkfs(dev, progsize=256)
    os.mount(os.VfsLfs2(dev, progsize=256), "/flash")
    sealer = Sealer(b"bench-device-id!")
    meter = Meter(cfg, Store("/flash/state", sealer.cmac), sealer, 0, None, os.urandom)
    saved, programmed, erased = meter.bytes_saved, dev.programmed, dev.erased
    start = time.ticks_us()
    for token in doc["tokens"]:
        enter(meter, token + "#")
    us = time.ticks_diff(time.ticks_us(), start)
    n = len(doc["tokens"])
    return {"bench": "meter_flash", "tokens": n, "ms_per_token": round(us / n / 1000, 2),
            "record_bytes_per_token": (meter.bytes_saved - saved) // n,
            "flash_bytes_programmed_per_token": (dev.programmed - programmed) // n,
            "flash_blocks_erased_per_token": (dev.erased - erased) / n}


def main():
    with open(sys.argv[1]) as f:
        print(json.dumps(flash(json.load(f))))


main()
