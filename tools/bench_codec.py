"""Decode cost per token, run inside any runtime (CPython with the shim, MicroPython).

Prints one JSON line per algorithm: microseconds per decoded token and, on MicroPython,
heap bytes allocated per decoded token (gc.mem_alloc before/after, no collection between).
"""

import gc
import json
import sys
import time

from stsmeter.sts.decoder import Decoder, make_cipher

# (algorithm, key, tokens): compliance tokens under one key each (531-1-0-02 CTSA10 and
# 531-1-0-04 CTSA10: amount boundaries, EA07 and EA11).
CASES = (
    ("EA07", "e653341f9d5bf36f", ("66475648316756821785", "36924780240841024731",
                                  "23716100501183194197")),
    ("EA11", "f94b6ed353c3bfdb113e2d3a7ea3c41d", ("59386323472137426967",)),
)
ROUNDS = int(sys.argv[1]) if len(getattr(sys, "argv", ())) > 1 else 2000  # (rp2: no argv)


def clock_us():
    if hasattr(time, "ticks_us"):
        return time.ticks_us()
    return int(time.perf_counter() * 1e6)


def main():
    runtime = sys.implementation.name
    for alg, key, tokens in CASES:
        dec = Decoder(make_cipher(alg[2:], bytes.fromhex(key)))
        entries = [t.encode() for t in tokens]  # bytes, as the keypad hands them over
        for e in entries:
            assert dec.decode(e).error is None
        n = ROUNDS * len(entries)
        gc.collect()
        start = clock_us()
        for _ in range(ROUNDS):
            for e in entries:
                dec.decode(e)
        us = (clock_us() - start) / n
        out = {"bench": "decode", "alg": alg, "runtime": runtime, "us_per_token": round(us, 2)}
        if runtime == "micropython":
            count = len(entries)
            gc.collect()
            before = gc.mem_alloc()
            for i in range(100 * count):  # indexing: a for-in iterator would be counted
                dec.decode(entries[i % count])
            out["bytes_alloc_per_token"] = (gc.mem_alloc() - before) / (100 * count)
        print(json.dumps(out))


main()
