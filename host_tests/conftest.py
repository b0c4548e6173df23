"""Shared test setup: import paths, the MicroPython runtimes, the copied vectors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for p in (HERE.parent / "tools", HERE):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))
import paths  # noqa: E402  (firmware/lib and tools/stshost importable through the shim)
import venv_tools  # noqa: E402

ROOT = Path(paths.ROOT)
FIRMWARE_LIB = Path(paths.FIRMWARE_LIB)
TOOLS = Path(paths.TOOLS)
DATA = HERE / "data"


def micropython_exe():
    try:
        return venv_tools.tool("micropython")
    except venv_tools.Missing:
        pytest.fail("MicroPython unix port missing: run the tests with `make test`")


def run_micropython(script, stdin="", args=(), heapsize=None, extra_path=(), cwd=None):
    """Run a script file under the MicroPython unix port with firmware/lib importable."""
    cmd = [micropython_exe()]
    if heapsize:
        cmd += ["-X", "heapsize=%s" % heapsize]
    env = dict(os.environ, MICROPYPATH=paths.micropython_path(*map(str, extra_path)))
    return subprocess.run(cmd + [str(script), *map(str, args)], input=stdin, capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=600)


def run_wasm(script, files=(), args=(), heapsize=None):
    """Run a script on the 32-bit webassembly port (node), firmware/lib and tools/stshost
    in its /lib.

    files: (host path, target path) pairs copied into its filesystem.
    """
    runner = TOOLS / "wasm" / "run.mjs"
    if not (TOOLS / "wasm" / "node_modules").exists():
        pytest.fail("webassembly MicroPython missing: run the tests with `make test`")
    cmd = ["node", str(runner), "--lib", str(FIRMWARE_LIB)]
    if heapsize:
        cmd += ["--heapsize", str(heapsize)]
    host_lib = [(p, "/lib/stshost/" + p.name) for p in (TOOLS / "stshost").glob("*.py")]
    for host, target in [*host_lib, *files]:
        cmd += ["--file", "%s=%s" % (host, target)]
    return subprocess.run(cmd + [str(script), *map(str, args)], capture_output=True, text=True,
                          timeout=600)


def load_vectors():
    with open(DATA / "compliance.json") as f:
        return json.load(f)["vectors"]


@pytest.fixture(scope="session")
def vectors():
    return load_vectors()
