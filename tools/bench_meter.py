"""Meter memory, run in the MicroPython unix port (flash wear: bench_flash.py).

    MICROPYPATH=firmware/lib micropython -X heapsize=64k tools/bench_meter.py TOKENS.json DIR

TOKENS.json: {"meter": {...meter.json...}, "entries": [keys of an entry, "...#"...]}; DIR:
an empty directory for the state files (on disk, as they are in flash on a board). It
prints the live heap with the meter at rest (after the entries) and its peak during one,
and the count of each result.
bench.py also finds the smallest `-X heapsize` that runs it all.
"""

import gc
import json
import os
import sys

from stsmeter.config import Config
from stsmeter.meter import Meter
from stsmeter.seal import Sealer
from stsmeter.store import Store


def enter(meter, keys):
    for k in keys:
        meter.press(k)


def heap(path, state_dir):
    import stsmeter.meter

    stsmeter.collect_often()  # as the firmware does (app.run)

    with open(path) as f:
        doc = json.load(f)
    cfg = Config(doc["meter"])
    entries = doc["entries"]
    doc = None  # (the bench's input is not the meter's)
    sealer = Sealer(b"bench-device-id!")
    peak = [0]
    results = {}

    def measure():
        gc.collect()
        peak[0] = max(peak[0], gc.mem_alloc())

    def on_event(event):
        if event["event"] == "result":
            results[event["result"]] = results.get(event["result"], 0) + 1

    # A token runs in two stages, each loading its code and releasing it at the end: the
    # decoder (cipher tables, key schedule) and then the rules. The live heap is measured
    # at the end of each, when all it loaded is still in RAM.
    release = stsmeter.meter.release

    def measured_release(*names):
        measure()
        release(*names)

    stsmeter.meter.release = measured_release
    meter = Meter(cfg, Store(state_dir, sealer.cmac), sealer, 0, on_event, os.urandom)
    peak[0] = 0  # (the start releases its code too)
    for keys in entries:
        enter(meter, keys)
    gc.collect()
    return {"bench": "meter_heap", "heap_total": gc.mem_alloc() + gc.mem_free(),
            "heap_at_rest": gc.mem_alloc(), "heap_peak_token": peak[0],
            "ea": meter.ea, "entries": len(entries), "results": results}


def main():
    print(json.dumps(heap(sys.argv[1], sys.argv[2])))


if __name__ == "__main__":
    main()
