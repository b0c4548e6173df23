"""The state journal on real littlefs, in the MicroPython unix port: littlefs (vfs.VfsLfs2,
progsize 256 as on a Pico) mounted on a NOR flash in RAM, the meter's journal in blocks of
it, and the attacks a person with the board's files can make: copying old files back,
deleting them. Prints one JSON line of findings for test_journal.py.

    MICROPYPATH=firmware/lib:host_tests micropython host_tests/journal_lfs.py TOKENS.json
"""

import json
import os
import sys

from nor_flash import NorFlash
from stsmeter.config import Config
from stsmeter.journal import Journal
from stsmeter.meter import Meter
from stsmeter.seal import Sealer

SEALER = Sealer(b"journal-lfs-test")
ROOT = "/flash"
STATE = ROOT + "/state"


def mount(flash):
    os.mount(os.VfsLfs2(flash, progsize=256), ROOT)


def restart(cfg, flash, now):
    """A power cycle: the filesystem mounted afresh (no cache), the meter started."""
    os.umount(ROOT)
    mount(flash)
    return Meter(cfg, Journal(flash, STATE, SEALER.cmac), SEALER, now, None, os.urandom)


def enter(m, token):
    results = []
    m.emit = lambda e: results.append(e.get("result")) if e["event"] == "result" else None
    for k in token + "#":
        m.press(k)
    m.store.maintain()
    return results


def files():
    out = {}
    for name in os.listdir(STATE):
        with open(STATE + "/" + name, "rb") as f:
            out[name] = f.read()
    return out


def put_back(copy):
    for name in os.listdir(STATE):
        if name not in copy:
            os.remove(STATE + "/" + name)
    for name, data in copy.items():
        with open(STATE + "/" + name, "wb") as f:
            f.write(data)


def main():
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    cfg = Config(doc["meter"])
    tokens = doc["tokens"]
    flash = NorFlash(blocks=48)
    os.VfsLfs2.mkfs(flash, progsize=256)
    mount(flash)
    out = {}
    m = Meter(cfg, Journal(flash, STATE, SEALER.cmac), SEALER, 0, None, os.urandom)
    out["first"] = [enter(m, t) for t in tokens[:3]]
    names = sorted(os.listdir(STATE))
    out["files"] = names
    journal_file = "journal.%d" % m.store.gen  # the block the records go to now
    with open(STATE + "/" + journal_file, "rb") as f:
        data = f.read()
    out["file_size"] = len(data)
    out["records_seen_in_file"] = sum(1 for i in range(7) if data[256 + 512 * i] == ord("S"))
    out["saves"] = m.store.seq
    m = restart(cfg, flash, m.now)
    out["restart"] = {"tamper": m.tamper, "credit_wh": m.credit.wh}
    copy = files()  # the attacker copies the state off the board
    out["more"] = [enter(m, t) for t in tokens[3:5]]
    credit = m.credit.wh
    put_back(copy)  # ... and back after two more tokens
    m = restart(cfg, flash, m.now)
    out["rollback"] = {"tamper": m.tamper, "credit_wh": m.credit.wh, "credit_before": credit,
                       "replay": enter(m, tokens[3])}
    key = bytes(m.key)
    for name in os.listdir(STATE):  # every state file deleted
        os.remove(STATE + "/" + name)
    m = restart(cfg, flash, m.now)
    out["deleted"] = {"tamper": m.tamper, "credit_wh": m.credit.wh, "same_key": m.key == key,
                      "replay": enter(m, tokens[4])}
    print(json.dumps(out))


main()
