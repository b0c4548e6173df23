"""The part tests (unit/parts/test_*.py: credit, supply, lockout, TID store, entry, event
log, key change buffer) in the MicroPython unix port. pytest runs the same files
in-process in CPython; here unit/parts/run.py runs them under MicroPython, one JSON line
per test, and each test function is one pytest test that passes only if its line says ok.
"""

import ast
import json
from pathlib import Path

import pytest
from conftest import run_micropython

PARTS = Path(__file__).resolve().parent / "parts"
MODULES = sorted(p.stem for p in PARTS.glob("test_*.py"))


def part_tests(module):
    """The test_* functions of a part module, read from its source (not imported)."""
    tree = ast.parse((PARTS / (module + ".py")).read_text())
    return [n.name for n in tree.body
            if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]


CASES = [(m, f) for m in MODULES for f in part_tests(m)]
_results = {}


def results(module):
    """{function: (ok, error)} of one module run under MicroPython (run once, kept)."""
    if module not in _results:
        proc = run_micropython(PARTS / "run.py", args=[module], extra_path=[PARTS])
        assert proc.returncode == 0, proc.stderr
        lines = [json.loads(line) for line in proc.stdout.splitlines()]
        assert all(line["test"].startswith(module + ".") for line in lines), lines
        _results[module] = {line["test"].split(".", 1)[1]: (line["ok"], line["error"])
                            for line in lines}
    return _results[module]


def test_every_part_has_its_tests():
    assert {"test_credit", "test_supply", "test_lockout", "test_tidstore", "test_entry",
            "test_eventlog", "test_kct"} <= set(MODULES)
    for module in MODULES:
        assert len(part_tests(module)) >= 5, module


@pytest.mark.parametrize("module,function", CASES, ids=["%s.%s" % c for c in CASES])
def test_part_in_micropython(module, function):
    got = results(module)
    assert function in got, "not run under MicroPython: %s" % sorted(got)
    ok, error = got[function]
    assert ok, error


@pytest.mark.parametrize("module", MODULES)
def test_micropython_ran_exactly_these_tests(module):
    assert sorted(results(module)) == sorted(part_tests(module))
