"""Test helpers for the meter: provisioning files, tokens for them, scripted runs.

`Bench` runs tools/meter_script.py (the contract behind tools/sim.py) in the chosen
runtime, one script per call, keeping the state folder between calls, and returns the
events it printed.
"""

import datetime
import json
import os
import subprocess
import sys

import sts_requests
import paths
from conftest import TOOLS, micropython_exe

KEY07 = "0ABC12DEF3456789"
KEY11 = "F94B6ED353C3BFDB113E2D3A7EA3C41D"
OTHER07 = "E653341F9D5BF36F"
START = "2024-06-01T00:00:00Z"  # provisioning time of the test meters (base date 2014)


def meter_doc(**over):
    doc = {"decoder_key": KEY07, "ea": "07", "base_date": 2014, "key_type": 2, "krn": 1,
           "ti": "01", "sgc": "123456", "ken": 255, "pan": "600727000000000009",
           "mfr_code": "07", "provisioned_at": START}
    doc.update(over)
    return doc


def minutes_after_start(minutes, base=2014):
    """The TID of a token issued `minutes` after START."""
    start = datetime.datetime(2024, 6, 1)
    return int(((start - datetime.datetime(base, 1, 1)).total_seconds()) // 60) + minutes


def make(type_, key=KEY07, alg="sta", tid=None, minutes=60, rnd=3, **fields):
    """One token (20 digits) from the vending side."""
    req = {"op": "generate", "type": type_, "key": key, "alg": alg,
           "tid": minutes_after_start(minutes) if tid is None else tid, "rnd": rnd}
    req.update(fields)
    answer = sts_requests.answer(req)
    assert "error" not in answer, answer
    return answer.get("token") or answer["tokens"]


def credit(kwh, minutes=60, **kw):
    return make("electricity_credit", amount=str(kwh), minutes=minutes, **kw)


NEW07 = "1122334455667788"


def cut_scenario():
    """The power-cut scenario (powercut.py, journalcut.py): tokens, rejections, consumption
    across periodic saves, a key change, more credit."""
    t1, t2 = credit(5, minutes=1), credit(2.5, minutes=2)
    t3 = credit(1.2, key=NEW07, minutes=3)  # after the key change: the new key
    s1, s2 = make("key_change", new_key=NEW07, krn=2, kt=2, ti=1)
    t4 = credit(3, key=NEW07, minutes=4)
    actions = [["token", t1], ["token", t1], ["load", 1500], ["advance", 700],
               ["token", t2], ["token", credit(9, key="E653341F9D5BF36F")],
               ["token", make("max_power_limit", limit_w=9000, minutes=5)],
               ["advance", 650], ["keys", "0#"], ["token", s1], ["token", s2],
               ["token", t4], ["advance", 400], ["token", t3],
               ["token", make("water_credit", key=NEW07, amount="2", minutes=6)],
               ["load", 0], ["advance", 100]]
    amounts = [[minutes_after_start(m), tenths] for m, tenths in
               ((1, 50), (2, 25), (3, 12), (4, 30))]
    doc = meter_doc(settings={"save_interval_s": 300})
    return {"meter": doc, "actions": actions, "credit": amounts}


class Bench:
    """A meter under test: its provisioning file, state folder and runtime."""

    def __init__(self, tmp_path, runtime, **doc):
        self.runtime = runtime
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.dir = str(tmp_path / "state")
        self.meter_file = str(tmp_path / "meter.json")
        with open(self.meter_file, "w") as f:
            json.dump(meter_doc(**doc), f)

    def run_raw(self, *lines):
        """Run script lines: (exit code, events); a meter that refuses to start is an answer."""
        return self.run_bytes(("\n".join(lines) + "\n").encode())

    def run_bytes(self, data, timeout=120):
        """Run a script given as bytes (any bytes): (exit code, events)."""
        script = TOOLS / "meter_script.py"
        if self.runtime == "cpython":
            cmd, env = [sys.executable, str(script)], None
        else:
            cmd = [micropython_exe(), str(script)]
            env = dict(os.environ, MICROPYPATH=paths.micropython_path())
        proc = subprocess.run(cmd + [self.meter_file, self.dir], input=data,
                              capture_output=True, env=env, timeout=timeout)
        self.stderr = proc.stderr.decode(errors="replace")
        return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines()]

    def write_doc(self, doc):
        """Replace the provisioning file with any JSON value (or bytes, as they are)."""
        data = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
        with open(self.meter_file, "wb") as f:
            f.write(data)

    def run(self, *lines):
        """Run script lines on a meter that starts; returns the events (dicts)."""
        code, events = self.run_raw(*lines)
        assert code == 0, self.stderr
        assert self.stderr == "", self.stderr
        return events

    def run_bad(self, *lines):
        """Run script lines of which some are bad: each answered with an error event, then
        one line on stderr and exit status 2; returns the events."""
        code, events = self.run_raw(*lines)
        assert code == 2, self.stderr
        assert len(self.stderr.splitlines()) == 1 and "bad script line" in self.stderr
        return events

    def results(self, *lines):
        """Only the result events' codes."""
        return [e["result"] for e in self.run(*lines) if e["event"] == "result"]

    def status(self):
        return [e for e in self.run("status") if e["event"] == "status"][0]


def of(events, kind):
    return [e for e in events if e["event"] == kind]
