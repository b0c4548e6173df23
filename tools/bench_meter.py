"""Meter memory, run in the MicroPython unix port (flash wear: bench_flash.py).

    MICROPYPATH=firmware/lib micropython -X heapsize=64k tools/bench_meter.py TOKENS.json

TOKENS.json: {"meter": {...meter.json...}, "tokens": [20-digit credit tokens...]}.
With the state kept in RAM files, it prints the live heap with the meter at rest (after the
tokens) and its peak during a token. bench.py also finds the smallest `-X heapsize` that
runs it all.
"""

import gc
import json
import os
import sys

from stsmeter.config import Config
from stsmeter.meter import Meter
from stsmeter.seal import Sealer
from stsmeter.store import Store


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
    import stsmeter.meter

    cfg = Config(doc["meter"])
    sealer = Sealer(b"bench-device-id!")
    peak = [0]

    def measure():
        gc.collect()
        peak[0] = max(peak[0], gc.mem_alloc())

    # A token runs in two stages, each loading its code and releasing it at the end: the
    # decoder (cipher tables, key schedule) and then the rules. The live heap is measured
    # at the end of each, when all it loaded is still in RAM.
    release = stsmeter.meter.release

    def measured_release(*names):
        measure()
        release(*names)

    stsmeter.meter.release = measured_release
    meter = Meter(cfg, Store("state", sealer.cmac, RamFiles()), sealer, 0, None, os.urandom)
    peak[0] = 0  # (the start releases its code too)
    for token in doc["tokens"]:
        enter(meter, token)
    gc.collect()
    return {"bench": "meter_heap", "heap_total": gc.mem_alloc() + gc.mem_free(),
            "heap_at_rest": gc.mem_alloc(), "heap_peak_token": peak[0],
            "accepted": len(doc["tokens"])}


def main():
    with open(sys.argv[1]) as f:
        print(json.dumps(heap(json.load(f))))


if __name__ == "__main__":
    main()
