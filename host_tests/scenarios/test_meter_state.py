"""State that survives anything: power cuts at every write, forged and deleted records."""

import json
import os

import powercut
import pytest
from conftest import ROOT, run_micropython
from meterkit import Bench, credit, cut_scenario as scenario, make, of


def test_power_cut_at_every_write_cpython():
    summary = powercut.run(scenario())
    assert summary["failures"] == [] and summary["failure_count"] == 0
    assert summary["writes"] >= 20
    assert summary["cuts_checked"] == 2 * summary["writes"]


def test_power_cut_at_every_write_micropython(tmp_path):
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario()))
    proc = run_micropython(ROOT / "host_tests" / "powercut.py", args=[path])
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["failure_count"] == 0, summary["failures"]
    assert summary["cuts_checked"] == 2 * summary["writes"] >= 40


def test_the_check_catches_a_store_that_is_not_atomic(monkeypatch):
    """Sanity of the harness: writing the slot in place (no rename) must be caught."""

    def save_in_place(self, payload):
        import struct

        self.seq += 1
        head = struct.pack("<2sBIH", b"SM", 1, self.seq, len(payload))
        body = head + bytes(payload)
        slot = self.path(("state.a", "state.b")[(self.seq - 1) % 2])
        self.files.write(slot, body + self.cmac.mac(body))
        self.files.commits.append(body + self.cmac.mac(body))
        return len(body) + 16

    from stsmeter.store import Store

    monkeypatch.setattr(Store, "save", save_in_place)
    summary = powercut.run(scenario())
    assert summary["failure_count"] > 0


@pytest.fixture(params=["micropython", "cpython"])
def runtime(request):
    return request.param


def _slot(b, name):
    return os.path.join(b.dir, name)


def _newest_slot(b):
    a, bb = _slot(b, "state.a"), _slot(b, "state.b")
    seq = {}
    for p in (a, bb):
        with open(p, "rb") as f:
            seq[p] = int.from_bytes(f.read()[3:7], "little")
    return max(seq, key=seq.get)


def test_edited_state_is_tamper_until_clear_tamper(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    t = credit(5)
    b.run("advance 7200", "token " + t, "token " + credit(1, minutes=61))
    path = _newest_slot(b)
    raw = bytearray(open(path, "rb").read())
    raw[80] ^= 0x01  # somewhere in the credit register
    open(path, "wb").write(bytes(raw))
    ev = b.run("status", "token " + t, "token " + make("clear_tamper", minutes=150), "status")
    st = of(ev, "status")
    assert st[0]["tamper"] is True and st[0]["relay"] is False
    assert st[0]["tamper_reason"] == "state_forged"
    assert of(ev, "tamper")[0]["active"] is True
    results = [r["result"] for r in of(ev, "result")]
    assert results[0] in ("used", "old") and results[1] == "accept"
    assert st[1]["tamper"] is False and st[1]["relay"] is True
    assert st[1]["credit_kwh"] in (5, 6)  # the genuine slot: at most one save old


def test_deleted_newest_slot_is_tamper_and_frees_no_token(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    last = credit(1, minutes=61)
    b.run("advance 7200", "token " + credit(5), "token " + last)
    os.remove(_newest_slot(b))
    ev = b.run("status", "token " + last, "status")
    st = of(ev, "status")
    assert st[0]["tamper"] is True and st[0]["relay"] is False
    assert of(ev, "result")[0]["result"] == "old"  # lost with the slot, still not twice
    assert st[1]["credit_kwh"] == 5


def test_both_slots_forged_starts_from_nothing_trusted(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    t = credit(5)
    b.run("advance 7200", "token " + t, "token " + credit(1, minutes=61))
    for name in ("state.a", "state.b"):
        raw = bytearray(open(_slot(b, name), "rb").read())
        raw[-1] ^= 0xFF  # break the MAC, leave the content
        open(_slot(b, name), "wb").write(bytes(raw))
    ev = b.run("status", "token " + t, "token " + credit(2, minutes=100),
               "token " + credit(2, minutes=130))
    st = of(ev, "status")[0]
    assert st["tamper"] is True and st["credit_kwh"] == 0 and st["relay"] is False
    results = [r["result"] for r in of(ev, "result")]
    assert results[0] in ("used", "old") and results[1:] == ["old", "accept"]


def test_event_log_readable_and_bounded(tmp_path, runtime):
    b = Bench(tmp_path, runtime, settings={"event_log_size": 8})
    lines = ["token " + credit(1, minutes=i) for i in range(1, 8)]
    ev = b.run(*lines, "log")
    log = of(ev, "log")[0]["entries"]
    assert len(log) == 8
    assert log[-1]["kind"] == "token" and log[-1]["result"] == "accept" and log[-1]["amount"] == 1
