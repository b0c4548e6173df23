"""A full filesystem during a save (issue 9, item 7): the token is refused with a word on
the display, nothing it did counts, the meter keeps running and takes the token once the
flash has room again. State files (the PC) and the flash journal (a board), in CPython;
the state files in the MicroPython unix port too."""

import json

import pytest
from conftest import FIRMWARE_LIB, run_micropython
from meterkit import credit, meter_doc
from nor_flash import BlockFiles, NorFlash
from powercut import Counter
from stsmeter.config import Config
from stsmeter.journal import Journal
from stsmeter.meter import Meter
from stsmeter.seal import Sealer
from stsmeter.store import Store

SEALER = Sealer(b"storage-full")


class FullableFiles(BlockFiles):
    """A filesystem that can be full for writes (BlockFiles: `full`)."""


def meter(kind, files, flash):
    store = (Journal(flash, "state", SEALER.cmac, Counter(), files) if kind == "journal"
             else Store("state", SEALER.cmac, files))
    events = []
    m = Meter(Config(meter_doc()), store, SEALER, 0, events.append, Counter())
    return m, events


def enter(m, keys):
    for k in keys:
        m.press(k)
    if hasattr(m.store, "maintain"):
        m.store.maintain()


@pytest.mark.parametrize("kind", ["files", "journal"])
def test_a_token_the_flash_cannot_save_is_refused_and_can_come_again(kind):
    flash = NorFlash(24)
    files = FullableFiles(flash)
    m, events = meter(kind, files, flash)
    enter(m, credit(5, minutes=60) + "#")
    files.full = True  # from here, no file can be written
    taken = 5000
    refused = None
    for i in range(10):  # (a journal saves into its block until it needs a new one)
        token = credit(1, minutes=70 + i)
        del events[:]
        enter(m, token + "#")
        if any(e.get("result") == "not_saved" for e in events):
            refused = token
            break
        taken += 1000
    assert refused is not None
    assert [e for e in events if e.get("result") == "not_saved"] == [
        {"event": "result", "result": "not_saved"}]
    assert m.screen() == ("Memory full", "Not taken")
    assert m.credit.wh == taken  # the refused token did nothing
    files.full = False
    m.advance(10)  # the meter runs on
    del events[:]
    enter(m, refused + "#")  # the refused token is taken now, once
    enter(m, refused + "#")
    assert [e["result"] for e in events if e["event"] == "result"] == ["accept", "used"]
    assert m.credit.wh == taken + 1000


PROBE = """
import json, sys
from stsmeter.config import Config
from stsmeter.meter import Meter
from stsmeter.seal import Sealer
from stsmeter.store import Store, Files


class Full(Files):
    full = False

    def write(self, path, data):
        if self.full:
            raise OSError(28)
        Files.write(self, path, data)


doc = json.loads(sys.stdin.readline())
files = Full()
events = []
m = Meter(Config(doc["meter"]), Store(sys.argv[1], Sealer(b"x").cmac, files), Sealer(b"x"),
          0, events.append, bytes)
for k in doc["tokens"][0] + "#":
    m.press(k)
files.full = True
for k in doc["tokens"][1] + "#":
    m.press(k)
refused = [e for e in events if e.get("result") == "not_saved"]
files.full = False
before = m.credit.wh
for k in doc["tokens"][1] + "#":
    m.press(k)
print(json.dumps({"refused": len(refused), "credit_refused": before,
                  "credit_after": m.credit.wh,
                  "results": [e.get("result") for e in events if e["event"] == "result"]}))
"""


def test_state_files_full_in_micropython(tmp_path):
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    doc = {"meter": meter_doc(), "tokens": [credit(5, minutes=60), credit(3, minutes=61)]}
    proc = run_micropython(script, stdin=json.dumps(doc) + "\n", args=[tmp_path / "state"],
                           extra_path=[FIRMWARE_LIB])
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["results"] == ["accept", "not_saved", "accept"]
    assert out["credit_refused"] == 5000 and out["credit_after"] == 8000
