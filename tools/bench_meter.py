"""Meter memory, run in the MicroPython unix port (flash wear: bench_flash.py).

    MICROPYPATH=firmware/lib micropython -X heapsize=64k tools/bench_meter.py TOKENS.json DIR

TOKENS.json: {"meter": {...meter.json...}, "tokens": [20-digit credit tokens...]}; DIR: an
empty directory for the state files (on disk, as they are in flash on a board). It prints
the live heap with the meter at rest (after the tokens) and its peak during a token.
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


def enter(meter, token):
    for i in range(20):
        meter.press(token[i])
    meter.press("#")


def heap(meter_doc, tokens, state_dir):
    import stsmeter.meter

    cfg = Config(meter_doc)
    meter_doc = None
    sealer = Sealer(b"bench-device-id!")
    peak = [0]
    accepted = [0]

    def measure():
        gc.collect()
        peak[0] = max(peak[0], gc.mem_alloc())

    def on_event(event):
        if event["event"] == "result" and event["result"] == "accept":
            accepted[0] += 1

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
    for token in tokens:
        enter(meter, token)
    gc.collect()
    return {"bench": "meter_heap", "heap_total": gc.mem_alloc() + gc.mem_free(),
            "heap_at_rest": gc.mem_alloc(), "heap_peak_token": peak[0],
            "tokens": len(tokens), "accepted": accepted[0]}


def main():
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    print(json.dumps(heap(doc["meter"], doc.pop("tokens"), sys.argv[2])))


if __name__ == "__main__":
    main()
