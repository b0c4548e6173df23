#!/usr/bin/env python3
"""`make bench`: codec cost on each runtime, board estimates and .mpy sizes, then the board
figures measured on the virtual Pico (tools/bench_pico.py); a table (one line per figure,
its target and OK/MISSED: tools/bench_table.py), or with --json the JSON lines.

    bench.py [--json] [--only PART ...]        (make bench, make bench JSON=1)
    bench.py --from-json FILE                  the table of saved --json output

The whole bench takes about 6 minutes and both cores.

Figures are the best of several runs (the host is shared; the minimum is the least
disturbed). The est_ms_* board times are estimates: unix-port time x a factor from
published benchmarks of plain small-int loops (README, "Benchmarks"); the ESP32 has only
those, the Pico is measured on its emulator ("pico_*" rows).
"""

import json
import os
import subprocess
import sys
import tempfile

import bench_table
import cli
import deploy
import paths
from venv_tools import tool

HERE, ROOT, LIB = paths.TOOLS, paths.ROOT, paths.FIRMWARE_LIB

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
    return run([tool("micropython"), script, *args], env)


def best(runs):
    """Per algorithm, the run with the smallest time."""
    out = {}
    for rows in runs:
        for row in rows:
            if row["alg"] not in out or row["us_per_token"] < out[row["alg"]]["us_per_token"]:
                out[row["alg"]] = row
    return out


def mpy_size(board):
    """Bytes of .mpy deployed to a board (tools/deploy.py compiles them the same way)."""
    import contextlib
    import io
    import pathlib

    import deploy

    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
        lib = deploy.compile_firmware(board, pathlib.Path(tmp))
        files = list(lib.rglob("*.mpy"))
        total = sum(f.stat().st_size for f in files)
    return {"bench": "mpy_size", "board": board, "march": deploy.MARCH[board],
            "files": len(files), "bytes": total}


KEYS = {"07": ("0ABC12DEF3456789", "1122334455667788"),
        "11": ("F94B6ED353C3BFDB113E2D3A7EA3C41D", "00112233445566778899AABBCCDDEEFF")}


def meter_tokens(tmp, ea="07"):
    """A meter.json, ten credit tokens for it (`tokens`: flash wear), and `entries`: the
    keys of every kind of entry (credit, max power limit, a class 1 test token, short
    codes, a mistyped token, a wrong length, a key change set, a token under the new key),
    as bench_meter.py and bench_flash.py read them."""
    import sts_requests

    key, new_key = KEYS[ea]
    alg = "sta" if ea == "07" else "misty1"
    meter = {"decoder_key": key, "ea": ea, "base_date": 2014, "key_type": 2, "krn": 1,
             "ti": "01", "sgc": "123456", "ken": 255, "pan": "600727000000000009",
             "mfr_code": "07", "provisioned_at": "2024-06-01T00:00:00Z"}

    def gen(**req):
        req.update(op="generate", alg=alg, rnd=1)
        return sts_requests.answer(req)

    def credit(hour, k=key):
        return gen(type="electricity_credit", amount="1", key=k,
                   issued="2024-06-01T%02d:00" % hour)["token"]

    tokens = [credit(i + 1) for i in range(10)]
    kct = gen(type="key_change", key=key, new_key=new_key, krn=2, kt=2, ti=1, sgc=123456)
    bad = tokens[0][:19] + str((int(tokens[0][19]) + 1) % 10)
    entries = ([t + "#" for t in tokens[:6]]
               + [gen(type="max_power_limit", limit_w=5000, key=key,
                      issued="2024-06-01T12:00")["token"] + "#",
                  gen(type="test_display_1", control=0b11110, mfr_code=7)["token"] + "#",
                  "0#", "2#", "4#", "10#", "99#", bad + "#", "12345#"]
               + [t + "#" for t in kct["tokens"]]
               + [credit(13, new_key) + "#"])
    path = os.path.join(tmp, "tokens-%s.json" % ea)
    with open(path, "w") as f:
        json.dump({"meter": meter, "tokens": tokens, "entries": entries}, f)
    return path


def compiled_lib(tmp, march="x64", emit=None):
    """firmware/lib as .mpy files, the way a board gets it (x64: the unix port)."""
    for dirpath, _, files in os.walk(LIB):
        for name in files:
            if name.endswith(".py"):
                src = os.path.join(dirpath, name)
                dst = os.path.join(tmp, os.path.relpath(src, LIB))[:-3] + ".mpy"
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                rel = os.path.relpath(src, LIB)  # source name as deploy.py gives it
                cmd = [tool("mpy-cross"), "-march=" + march, "-s", deploy.source_name(rel),
                       "-o", dst, src]
                if emit and subprocess.run(cmd[:1] + ["-X", "emit=" + emit] + cmd[1:],
                                           capture_output=True).returncode == 0:
                    continue
                subprocess.run(cmd, check=True)  # (a module the native emitter refuses
                # - a bare `raise` - stays bytecode; the codec modules all compile)
    return tmp


def heap_row(tmp, exe, ea):
    """bench_meter.py for one meter (EA07 or EA11): at 64k (issue 3: it must run there),
    then from 32k up (2k steps to 96k) to find the smallest -X heapsize it runs in."""
    tokens = meter_tokens(tmp, ea)
    # run in tmp with a relative path: module paths as short as a board's /lib
    env = dict(os.environ, MICROPYPATH="mpy")

    def run_at(k):
        state = os.path.join(tmp, "state-%s-%d" % (ea, k))
        proc = subprocess.run([exe, "-X", "heapsize=%dk" % k, "-m", "bench_meter", tokens,
                               state], capture_output=True, text=True, env=env, cwd=tmp)
        return json.loads(proc.stdout) if proc.returncode == 0 else None

    at_64k = run_at(64)
    for k in list(range(32, 96, 2)) + list(range(96, 513, 8)):
        row = at_64k if k == 64 else run_at(k)
        if row:
            break
    else:
        return {"bench": "meter_heap", "ea": ea, "runs_in_64k": False,
                "error": "no heapsize up to 512k"}
    row = at_64k or row
    row.update(runs_in_64k=at_64k is not None, smallest_heapsize_k=k)
    return row


def meter_rows(tmp):
    """Heap at rest and during an entry, for an EA07 and an EA11 meter (and the smallest
    -X heapsize each runs in), then flash per accepted token."""
    lib = compiled_lib(os.path.join(tmp, "mpy"))
    # the bench script is compiled too: compiling its source would take heap the meter
    # does not need (a board runs .mpy or frozen code)
    subprocess.run([tool("mpy-cross"), "-march=x64", "-s", "bench_meter.py", "-o",
                    os.path.join(lib, "bench_meter.mpy"), os.path.join(HERE, "bench_meter.py")],
                   check=True)
    for ea in ("07", "11"):
        emit(heap_row(tmp, tool("micropython"), ea))
    flash = micropython(os.path.join(HERE, "bench_flash.py"), [meter_tokens(tmp)],
                        path=os.pathsep.join([lib, HERE]))
    emit(flash[0])


RP2040_FREE_HEAP = 233024  # gc heap an RP2040 leaves free (micropython-notes 3.2)


def driver_rows():
    """Keypad scan and display refresh: bytes allocated (target 0) on both ports."""
    tests = os.path.join(ROOT, "host_tests")
    path = os.pathsep.join([LIB, tests])
    for row in micropython(os.path.join(HERE, "bench_keypad.py"), path=path):
        emit(row)
    wasm = run(["node", os.path.join(HERE, "wasm", "run.mjs"), "--lib", LIB, "--lib", tests,
                os.path.join(HERE, "bench_keypad.py"), "1000"])
    for row in wasm:
        row["runtime"] = "micropython-32bit"
        emit(row)
    for row in micropython(os.path.join(HERE, "bench_display.py"), path=path):
        emit(row)


def firmware_row(tmp):
    """The whole firmware at rest, compiled as deployed, in an RP2040's free heap."""
    tokens = meter_tokens(tmp)
    lib = compiled_lib(os.path.join(tmp, "fw-mpy"))
    scratch = os.path.join(tmp, "board")
    os.makedirs(scratch)
    env = dict(os.environ, MICROPYPATH=os.pathsep.join([lib, os.path.join(ROOT, "host_tests"),
                                                        paths.BOARDS, ".frozen"]))
    cmd = [tool("micropython"), "-X", "heapsize=%d" % RP2040_FREE_HEAP,
           os.path.join(HERE, "bench_firmware.py"), tokens]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=scratch, check=True)
    for line in out.stdout.splitlines():
        if line.startswith("{"):
            emit(json.loads(line))


def codec_rows():
    """Decode time and allocation per token on each runtime, and the board estimates."""
    script = os.path.join(HERE, "bench_codec.py")
    unix = best(micropython(script) for _ in range(RUNS))
    with tempfile.TemporaryDirectory() as tmp:
        native = best(micropython(script, path=compiled_lib(tmp, emit="native"))
                      for _ in range(RUNS))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([paths.SHIM, LIB]))
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
        emit(row)


def mpy_rows():
    for board in ("rpi_pico", "esp32_devkitc"):
        emit(mpy_size(board))


def pico_rows():
    """The board figures measured on the virtual Pico (its own JSON lines)."""
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "bench_pico.py")],
                            stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.startswith("{"):
            emit(json.loads(line))
    if proc.wait():
        raise subprocess.CalledProcessError(proc.returncode, "bench_pico.py")


def meter_and_firmware_rows():
    with tempfile.TemporaryDirectory() as tmp:
        meter_rows(tmp)
        firmware_row(tmp)


PARTS = {"meter": meter_and_firmware_rows, "drivers": driver_rows, "codec": codec_rows,
         "mpy": mpy_rows, "pico": pico_rows}  # in the order they run
ROWS = []  # what emit() collected, for the table


def emit(row):
    """One bench row: a JSON line at once (--json), or kept for the table."""
    if JSON:
        print(json.dumps(row), flush=True)
    else:
        ROWS.append(row)
        which = [str(row[k]) for k in ("alg", "ea", "runtime", "code_loading", "board",
                                         "display") if k in row]
        sys.stderr.write("  measured: %s\n" % " ".join([str(row.get("bench"))] + which[:1]))


JSON = False


def parser():
    p = cli.Parser(prog="bench.py", description=__doc__.split("\n\n")[0].strip('"'),
                   epilog="Parts: %s (default: all, about 6 minutes; pico alone about 3)."
                   % ", ".join(PARTS))
    p.add_argument("--json", action="store_true",
                   help="print the JSON lines of every row as measured, instead of the table")
    p.add_argument("--only", action="append", choices=list(PARTS), metavar="PART",
                   help="run only this part (repeatable): %s" % ", ".join(PARTS))
    p.add_argument("--from-json", metavar="FILE",
                   help="measure nothing: print the table of a saved --json output")
    return p


def read_rows(path):
    try:
        with open(path) as f:
            rows = [json.loads(line) for line in f if line.startswith("{")]
        if rows and all(isinstance(r, dict) and "bench" in r for r in rows):
            return rows
        raise ValueError
    except OSError as e:
        cli.fail("cannot read %s: %s: give a file saved from bench.py --json"
                 % (path, e.strerror or e))
    except ValueError:
        cli.fail("%s is not the JSON lines of bench.py --json" % path)


def main(argv=None):
    global JSON
    args = parser().parse_args(argv)
    if args.from_json:
        if args.json or args.only:
            cli.fail("--from-json measures nothing: give it alone")
        sys.stdout.write(bench_table.table(read_rows(args.from_json)))
        return 0
    JSON = args.json
    for name, part in PARTS.items():
        if not args.only or name in args.only:
            part()
    if not JSON:
        sys.stdout.write(bench_table.table(ROWS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
