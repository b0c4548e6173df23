"""The state journal a board keeps in raw flash blocks (stsmeter/journal.py): power cuts in
the middle of every page program and block erase, saves that never erase, and the attacks
of a person with the board's files (old files copied back, files deleted, a record
edited), on a NOR flash in RAM with a littlefs stand-in (CPython and the unix port), and
on real littlefs in the unix port. The virtual Pico runs it on the emulated flash
(test_virtual_pico.py)."""

import json
import os

import journalcut
import pytest
from conftest import ROOT, run_micropython
from meterkit import credit, cut_scenario, meter_doc
from nor_flash import BlockFiles, NorFlash
from powercut import Counter
from stsmeter.jobs import load_state
from stsmeter.config import Config
from stsmeter.journal import PAGE, SLOT, Journal
from stsmeter.meter import Meter
from stsmeter.seal import Sealer
from stsmeter.store import Store

SEALER = Sealer(b"journal-test")
TESTS = ROOT / "host_tests"


class Board:
    """A meter on a journal, on a NOR flash with a littlefs stand-in."""

    def __init__(self, blocks=24, **settings):
        self.cfg = Config(meter_doc(settings=settings) if settings else meter_doc())
        self.flash = NorFlash(blocks)
        self.files = BlockFiles(self.flash)
        self.now = 0
        self.results = []
        self.start()

    def start(self):
        journal = Journal(self.flash, "state", SEALER.cmac, Counter(), self.files)
        self.m = Meter(self.cfg, journal, SEALER, self.now, self.event, Counter())
        return self.m

    def event(self, e):
        if e["event"] == "result":
            self.results.append(e["result"])

    def token(self, token):
        del self.results[:]
        for k in token + "#":
            self.m.press(k)
        self.m.store.maintain()  # the idle work a board does once a second
        self.now = self.m.now
        return self.results[-1]


def tokens(n, first=60):
    return [credit(1, minutes=first + i) for i in range(n)]


def test_power_cut_in_every_flash_operation_cpython():
    summary = journalcut.run(cut_scenario())
    assert summary["failures"] == [] and summary["failure_count"] == 0
    assert summary["cuts_checked"] == summary["flash_ops"] >= 40


def test_power_cut_in_every_flash_operation_micropython(tmp_path):
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(cut_scenario()))
    proc = run_micropython(TESTS / "journalcut.py", args=[path], extra_path=[TESTS])
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["failure_count"] == 0, summary["failures"]
    assert summary["cuts_checked"] == summary["flash_ops"] >= 40


def test_the_cut_check_catches_files_removed_before_the_new_record(monkeypatch):
    """Sanity of the harness: removing the old journal files as soon as a new block is
    made (before a record is in it) loses the state at a cut, and must be caught."""

    def eager_next_block(self):
        Journal._next_block_orig(self)
        for gen in self.stale:
            self.files.remove(self.path(gen))
        del self.stale[:]

    monkeypatch.setattr(Journal, "_next_block_orig", Journal._next_block, raising=False)
    monkeypatch.setattr(Journal, "_next_block", eager_next_block)
    summary = journalcut.run(cut_scenario())
    assert summary["failure_count"] > 0


def test_a_token_save_programs_pages_and_never_erases():
    b = Board()
    b.token(tokens(1)[0])  # the first block of this start is made
    for t in tokens(20, first=61):
        erases = b.flash.erases
        programmed = b.flash.programmed
        for k in t + "#":
            b.m.press(k)
        assert b.flash.erases == erases, "a token's save erased a block"
        assert b.flash.programmed - programmed == SLOT  # one record: two pages
        b.m.store.maintain()  # idle: the next block is made here, not in a save
    assert b.m.credit.wh == 21000


def test_restart_loads_the_newest_record_and_moves_to_a_new_block():
    b = Board()
    for t in tokens(9):
        assert b.token(t) == "accept"
    gen = b.m.store.gen
    m = b.start()
    assert not m.tamper and m.credit.wh == 9000
    assert m.tids.used(b.m.tids.tids()[-1])
    b.token(credit(1, minutes=90))
    assert b.m.store.gen > gen  # its first save went to a new block
    assert [n for n in b.files.listdir("state") if n.startswith("journal.")] == [
        "journal.%d" % b.m.store.gen]  # the older files removed


def test_old_files_copied_back_are_tamper_and_bring_nothing_back():
    b = Board()
    ts = tokens(6)
    for t in ts[:3]:
        b.token(t)
    copy = b.files.snapshot()  # the state copied off the board
    for t in ts[3:]:
        b.token(t)
    b.files.restore(copy)  # ... and back after three more tokens
    m = b.start()
    assert m.tamper  # the newest record's file is not its block any more
    assert m.credit.wh == 6000  # the newest record, not the copy's
    assert b.token(ts[4]) == "used"


def test_files_copied_back_beside_the_current_ones_change_nothing():
    b = Board()
    for t in tokens(3):
        b.token(t)
    copy = {p: d for p, d in b.files.snapshot().items() if "journal" in p}
    for t in tokens(3, first=70):
        b.token(t)
    for p, d in copy.items():  # an old journal file under a new name
        b.files.write(p.replace("journal.", "journal.9"), d)
    m = b.start()
    assert m.credit.wh == 6000


def test_deleted_state_is_tamper_and_keeps_the_key_and_the_credit():
    b = Board()
    ts = tokens(4)
    for t in ts:
        b.token(t)
    key = bytes(b.m.key)
    for name in b.files.listdir("state"):
        b.files.remove("state/" + name)
    m = b.start()
    assert m.tamper and m.key == key and m.credit.wh == 4000
    assert not m.relay_closed
    assert b.token(ts[0]) == "used"
    assert b.token(credit(1, minutes=200)) == "accept"  # the key still works


def test_an_edited_record_is_tamper():
    b = Board()
    for t in tokens(4):
        b.token(t)
    j = b.m.store
    raw = bytearray(SLOT)
    b.flash.readblocks(j.block, raw, PAGE + SLOT)  # the second record of the block
    raw[40] ^= 0x01  # one bit: bytes can only be cleared by a program, so edit in RAM
    start = j.block * b.flash.block_size + PAGE + SLOT
    b.flash.data[start : start + SLOT] = raw
    m = b.start()
    assert m.tamper


def test_a_torn_last_record_is_not_tamper():
    b = Board()
    for t in tokens(3):
        b.token(t)
    j = b.m.store
    b.flash.cut_at = b.flash.ops + 1  # the next page program is cut half-way
    with pytest.raises(Exception):
        b.token(credit(1, minutes=99))
    b.flash.cut_at = -1
    m = b.start()
    assert not m.tamper and m.credit.wh == 3000 and j.slot >= 1


def test_state_files_of_the_firmware_before_the_journal_are_taken_over():
    flash = NorFlash(24)
    files = BlockFiles(flash)
    cfg = Config(meter_doc())
    m = Meter(cfg, Store("state", SEALER.cmac, files), SEALER, 0, None, Counter())
    for t in tokens(3):
        for k in t + "#":
            m.press(k)
    assert sorted(files.listdir("state")) == ["provisioned", "settings", "state.a", "state.b"]
    j = Journal(flash, "state", SEALER.cmac, Counter(), files)
    m = Meter(cfg, j, SEALER, m.now, None, Counter())
    assert not m.tamper and m.credit.wh == 3000
    for k in credit(1, minutes=90) + "#":
        m.press(k)
    j.maintain()
    names = files.listdir("state")
    assert "state.a" not in names and "state.b" not in names
    assert "provisioned" in names and "settings" in names
    assert not Meter(cfg, Journal(flash, "state", SEALER.cmac, Counter(), files), SEALER,
                     m.now, None, Counter()).tamper


def test_a_record_larger_than_a_slot_is_refused():
    j = Journal(NorFlash(8), "state", SEALER.cmac, Counter(), BlockFiles(NorFlash(8)))
    with pytest.raises(ValueError):
        j.save(bytes(SLOT))


def test_load_reads_the_state_without_the_files():
    """The journal is found on the device, not through the files (jobs/load_state.py)."""
    b = Board()
    for t in tokens(2):
        b.token(t)
    probe = Journal(b.flash, "state", SEALER.cmac, Counter(), BlockFiles(b.flash))
    found = load_state.load(probe)
    assert found.seq == b.m.store.seq and found.tamper  # its files are not there


def test_real_littlefs_in_the_unix_port(tmp_path):
    doc = {"meter": meter_doc(), "tokens": tokens(6)}
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps(doc))
    proc = run_micropython(TESTS / "journal_lfs.py", args=[path], extra_path=[TESTS])
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["first"] == [["accept"]] * 3
    # provisioning, the start (it logs the power-up), three tokens: all in one block
    assert out["file_size"] == 4096 and out["records_seen_in_file"] == out["saves"] == 5
    assert out["restart"] == {"tamper": 0, "credit_wh": 3000}
    assert out["rollback"]["tamper"] and out["rollback"]["credit_wh"] == 5000
    assert out["rollback"]["replay"] == ["used"]
    assert out["deleted"]["tamper"] and out["deleted"]["same_key"]
    assert out["deleted"]["credit_wh"] == 5000 and out["deleted"]["replay"] == ["used"]
    assert os.path.exists(TESTS / "journal_lfs.py")
