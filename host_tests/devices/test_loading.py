"""The meter loads the code for an entry when the entry ends and releases it after, so only
its idle code stays in RAM (issue 3: it must run in a 64 KB heap; the figures are in
`make bench`); a board that keeps its code resident (CODE_LOADING = "resident") loads it
all at start and never again. Checked in MicroPython and in CPython."""

import json
import subprocess
import sys

import pytest
from conftest import FIRMWARE_LIB, TOOLS, micropython_exe
from meterkit import KEY11, credit, make, meter_doc

# What a meter waiting for keys holds (meter.py and what it imports).
# (all of them modules at the package's top: the folder rule, checked below)
RESIDENT = {"stsmeter", "stsmeter.config", "stsmeter.credit",
            "stsmeter.entry", "stsmeter.eventlog", "stsmeter.kct", "stsmeter.lockout",
            "stsmeter.meter", "stsmeter.record", "stsmeter.screen", "stsmeter.seal",
            "stsmeter.store", "stsmeter.supply", "stsmeter.tidstore"}
PACKAGE = FIRMWARE_LIB / "stsmeter"
SUBPACKAGES = {"stsmeter.sts", "stsmeter.jobs"}  # (once loaded they stay: empty, small)


def resident(modules):
    """The modules of a probe line but the subpackages themselves, which may stay."""
    return set(modules) - SUBPACKAGES

PROBE = """
import json, os, sys
from stsmeter.config import Config
from stsmeter.meter import Meter
from stsmeter.seal import Sealer
from stsmeter.store import Store

doc = json.loads(sys.stdin.readline())
if doc.get("resident"):
    import stsmeter
    stsmeter.keep_code()
results = []
sealer = Sealer(b"probe-device-id!")
m = Meter(Config(doc["meter"]), Store(sys.argv[1], sealer.cmac), sealer, 0,
          lambda e: results.append(e.get("result")) if e["event"] == "result" else None,
          os.urandom)
if doc.get("resident"):
    from stsmeter.app import load_code
    load_code(m)
print(json.dumps({"after": "start", "modules": sorted(k for k in sys.modules
                                                       if k.startswith("stsmeter"))}))
for keys in doc["entries"]:
    del results[:]
    for k in keys:
        m.press(k)
    print(json.dumps({"after": keys, "results": results,
                      "modules": sorted(k for k in sys.modules if k.startswith("stsmeter"))}))
"""


@pytest.fixture(params=["micropython", "cpython"])
def runtime(request):
    return request.param


def probe(tmp_path, runtime, meter, entries, resident=False):
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    if runtime == "cpython":  # (the shim provides micropython, cryptolib)
        env = {"PYTHONPATH": "%s:%s" % (TOOLS / "shim", FIRMWARE_LIB)}
        cmd = [sys.executable, "-c", "import mpshim, runpy, sys; mpshim.install(); "
               "sys.argv[1:] = [%r]; runpy.run_path(%r, run_name='__main__')"
               % (str(tmp_path / "state"), str(script))]
    else:
        cmd = [micropython_exe(), str(script), str(tmp_path / "state")]
        env = {"MICROPYPATH": "%s:.frozen" % FIRMWARE_LIB}  # (.frozen: asyncio, for app)
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          input=json.dumps({"meter": meter, "entries": entries,
                                            "resident": resident}) + "\n",
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_each_entry_loads_its_code_and_releases_it(tmp_path, runtime):
    entries = [credit(5, minutes=60) + "#", "0#", make("test_display_1", control=2,
                                                       mfr_code=7) + "#",
               "12345#", credit(5, minutes=61) + "#"]
    out = probe(tmp_path, runtime, meter_doc(), entries)
    assert out[0]["after"] == "start"
    assert [o["results"] for o in out[1:]] == [["accept"], ["short_code"], ["accept"],
                                              ["format"], ["accept"]]
    for o in out:  # the start, tokens, short codes: all released after use
        assert resident(o["modules"]) == RESIDENT, o["after"]


def test_a_key_change_set_on_an_ea11_meter_is_released_too(tmp_path, runtime):
    new_key = "00112233445566778899AABBCCDDEEFF"
    kct = make("key_change", key=KEY11, alg="misty1", new_key=new_key, krn=2, kt=2, ti=1,
               sgc=123456)
    entries = [s + "#" for s in kct] + [
        make("electricity_credit", key=new_key, alg="misty1", amount="5") + "#"]
    out = probe(tmp_path, runtime, meter_doc(decoder_key=KEY11, ea="11"), entries)
    assert [o["results"] for o in out[1:]] == [["kct_partial"]] * 3 + [["accept"], ["accept"]]
    for o in out:
        assert resident(o["modules"]) == RESIDENT, o["after"]


def test_resident_code_is_loaded_at_start_and_kept(tmp_path, runtime):
    """CODE_LOADING = "resident": every entry's code is there from the start, nothing is
    loaded or released after; the decoder kept with its key schedule follows a key change."""
    new_key = "1122334455667788"
    kct = make("key_change", new_key=new_key, krn=2, kt=2, ti=1, minutes=30)
    entries = [credit(5, minutes=60) + "#", "0#", "12345#"] + [s + "#" for s in kct] + [
        credit(1, key=new_key, minutes=90) + "#", credit(1, minutes=91) + "#"]
    out = probe(tmp_path, runtime, meter_doc(), entries, resident=True)
    assert [o["results"] for o in out[1:]] == [["accept"], ["short_code"], ["format"],
                                              ["kct_partial"], ["accept"], ["accept"],
                                              ["crc"]]  # the old key's token: refused
    loaded = set(out[0]["modules"])
    assert RESIDENT < loaded
    assert {"stsmeter.jobs.acceptance", "stsmeter.jobs.shortcodes", "stsmeter.sts.sta",
            "stsmeter.sts.decoder"} <= loaded
    assert "stsmeter.jobs.startup" not in loaded and "stsmeter.jobs.meterjson" not in loaded
    import stsmeter

    for work in ("decode", "token", "short_code"):  # the table's code for every entry
        for name in stsmeter.LOADS[work].split():
            if name not in ("sts.sta", "sts.misty1"):  # (the cipher: only the meter's)
                assert "stsmeter." + name in loaded, name
    for o in out:
        assert set(o["modules"]) == loaded, o["after"]


def test_the_loading_table_names_every_per_entry_module_and_only_those():
    """stsmeter.LOADS is the one table: each name is a module of sts/ or jobs/, and every
    module there is loaded by some work (else nothing would ever release it); the resident
    core is the package's top level and nothing else."""
    import stsmeter

    named = {name for names in stsmeter.LOADS.values() for name in names.split()}
    per_entry = {"%s.%s" % (sub, p.stem) for sub in ("sts", "jobs")
                 for p in (PACKAGE / sub).glob("*.py") if p.stem != "__init__"}
    assert named == per_entry
    for mod in RESIDENT - {"stsmeter"}:
        assert "." not in mod[len("stsmeter."):], mod  # resident: at the top level


@pytest.mark.parametrize("work", ["tokens", "acceptance", "sts.decoder", ""])
def test_release_refuses_a_work_it_does_not_know(work, runtime, tmp_path):
    """A misspelt release would keep code loaded unnoticed: it is an error instead."""
    script = tmp_path / "release.py"
    script.write_text("import stsmeter\ntry:\n    stsmeter.release(%r)\nexcept ValueError as e:"
                      "\n    print('refused', e)\nelse:\n    print('released')\n" % work)
    if runtime == "cpython":
        env = {"PYTHONPATH": "%s:%s" % (TOOLS / "shim", FIRMWARE_LIB)}
        cmd = [sys.executable, str(script)]
    else:
        env = {"MICROPYPATH": str(FIRMWARE_LIB)}
        cmd = [micropython_exe(), str(script)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    assert out.stdout.startswith("refused"), out.stdout + out.stderr
    assert repr(work) in out.stdout
