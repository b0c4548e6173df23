"""make bench's table (tools/bench_table.py, tools/bench.py --from-json): one line per
figure with its unit, the target beside it and OK/MISSED. The fixture is the --json output
of one whole `make bench` run (host_tests/data/bench_sample.jsonl)."""

import copy
import json
import subprocess
import sys

import bench_table
from conftest import DATA, TOOLS

SAMPLE = DATA / "bench_sample.jsonl"


def rows():
    return [json.loads(line) for line in SAMPLE.read_text().splitlines()]


def line_of(text, start):
    found = [line for line in text.splitlines() if line.startswith(start)]
    assert len(found) == 1, (start, found)
    return found[0]


def test_every_kind_of_row_has_its_own_lines():
    kinds = {r["bench"] for r in rows()}
    assert kinds <= set(bench_table.KINDS), kinds - set(bench_table.KINDS)


def test_each_target_beside_its_figure_with_a_verdict():
    text = bench_table.table(rows())
    boot = line_of(text, "Pico (resident): power-on to ready")
    assert "1428 ms" in boot and "<= 2000 ms" in boot and boot.endswith("OK")
    first = line_of(text, "Pico (resident): # to result, first credit token")
    assert "69.2 ms" in first and "<= 500 ms" in first and first.endswith("OK")
    later = line_of(text, "Pico (resident): # to result, later credit tokens")
    assert "58.6-153.4 ms" in later and "<= 100 ms" in later and later.endswith("MISSED")
    heap = line_of(text, "Pico (resident): free heap, lowest during an entry")
    assert "146.1 KB" in heap and ">= 32 KB" in heap and heap.endswith("OK")
    assert line_of(text, "EA11 meter runs in a 64 KB heap").endswith("MISSED")
    assert line_of(text, "EA07 meter runs in a 64 KB heap").endswith("OK")
    alloc = line_of(text, "keypad scan, bytes allocated (micropython-32bit)")
    assert "0 B" in alloc and alloc.endswith("OK")


def test_targets_only_for_the_picos_own_code_loading_policy():
    text = bench_table.table(rows())
    per_entry = line_of(text, "Pico (per_entry): # to result, later credit tokens")
    assert not per_entry.endswith(("OK", "MISSED"))


def test_summary_counts_and_names_the_missed_targets():
    text = bench_table.table(rows())
    last = text.splitlines()[-1]
    judged = [f for f in bench_table.figures(rows()) if f.met is not None]
    missed = [f for f in judged if not f.met]
    assert last.startswith("targets: %d of %d met; MISSED: " % (len(judged) - len(missed),
                                                                  len(judged)))
    assert all(f.what in last for f in missed)


def test_a_figure_over_its_target_is_missed_and_under_it_ok():
    r = copy.deepcopy(rows())
    decode = [x for x in r if x["bench"] == "decode" and x["alg"] == "EA11"][0]
    decode["bytes_alloc_per_token_32bit"] = 8
    decode["us_per_token_unix"] = 1.5
    text = bench_table.table(r)
    assert line_of(text, "decode, bytes allocated, EA11").endswith("MISSED")
    fast = line_of(text, "decode one token, EA11, unix port")
    assert "1.5 us" in fast and fast.endswith("OK")


def test_an_unknown_row_still_shows_its_numbers():
    text = bench_table.table([{"bench": "new_thing", "ms_x": 3.25, "label": "z"}])
    assert "new_thing: ms_x" in line_of(text, "new_thing") and "3.25" in text
    assert text.splitlines()[-1] == "targets: none among these figures"


def test_bench_py_from_json_prints_the_table_and_json_is_refused_with_it(tmp_path):
    bench = [sys.executable, str(TOOLS / "bench.py")]
    p = subprocess.run(bench + ["--from-json", str(SAMPLE)], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0 and p.stdout == bench_table.table(rows())
    p = subprocess.run(bench + ["--from-json", str(SAMPLE), "--json"], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 2 and p.stdout == "" and len(p.stderr.splitlines()) == 1


def test_bench_py_only_one_part_json_and_table(tmp_path):
    bench = [sys.executable, str(TOOLS / "bench.py"), "--only", "mpy"]
    p = subprocess.run(bench + ["--json"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert [json.loads(line)["board"] for line in p.stdout.splitlines()] == [
        "rpi_pico", "esp32_devkitc"]
    p = subprocess.run(bench, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert line_of(p.stdout, ".mpy deployed to rpi_pico").split()[-1] == "KB"
