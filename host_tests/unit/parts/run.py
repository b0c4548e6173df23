"""Run the part tests (unit/parts/test_*.py) in this interpreter, without pytest:

    MICROPYPATH=host_tests/unit/parts:firmware/lib:tools micropython run.py test_credit ...

imports each named module, calls every test_* function in it (sorted by name) and prints
one JSON line per test: {"test": "module.function", "ok": true|false, "error": "..."}.
The tests are plain functions with plain asserts, so the same files run under pytest in
CPython (collected as usual) and here under the MicroPython unix port
(unit/test_parts_micropython.py). Exit status 0 whatever the results: the lines say.
"""

import io
import json
import sys


def error_text(exc):
    out = io.StringIO()
    if hasattr(sys, "print_exception"):  # MicroPython
        sys.print_exception(exc, out)
    else:
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__, file=out)
    return out.getvalue()


def run(name):
    try:
        mod = __import__(name)
    except Exception as exc:  # the module itself is broken: one failed line for it
        print(json.dumps({"test": name, "ok": False, "error": error_text(exc)}))
        return
    for attr in sorted(dir(mod)):
        fn = getattr(mod, attr)
        if not attr.startswith("test_") or not callable(fn):
            continue
        try:
            fn()
        except Exception as exc:  # AssertionError included
            print(json.dumps({"test": name + "." + attr, "ok": False,
                              "error": error_text(exc)}))
        else:
            print(json.dumps({"test": name + "." + attr, "ok": True, "error": ""}))


for module in sys.argv[1:]:
    run(module)
