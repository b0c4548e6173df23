"""Power cuts in the middle of every flash operation of the state journal (journal.py):
each page program and each block erase, with the meter's own actions driving it. Runs
under CPython (pytest imports it) and MicroPython (pytest runs it):

    micropython host_tests/journalcut.py SCENARIO.json      -> one JSON summary line

The scenario (meterkit.cut_scenario) is a meter.json and a list of actions; the meter's
idle work (Journal.maintain, once a second on a board) runs after each action. A reference
run without cuts counts the flash operations. Then, for each operation k, the run is cut
half-way through it, the meter restarted from the flash, and:
  - the state it loads is exactly the last record whose program had completed;
  - a power cut is not tamper;
  - credit + lifetime energy used == the electricity tokens whose TIDs are stored;
  - re-doing the interrupted action and the rest ends with every credit token in, once.
"""

import json
import sys

try:
    from stsmeter.config import Config
except ImportError:  # CPython run as a script: use the shim
    sys.path.insert(0, "tools")
    import paths  # noqa: F401  (the shim)
    from stsmeter.config import Config

from nor_flash import BlockFiles, NorFlash, PowerCut
from powercut import Counter, act, balance_ok
from stsmeter.journal import Journal
from stsmeter.meter import Meter
from stsmeter.seal import Sealer

SEALER = Sealer(b"journal-cut-test")


class Recorder(Journal):
    """A journal that remembers each record once its program has completed."""

    commits = None

    def save(self, payload):
        n = Journal.save(self, payload)
        self.commits.append((self.seq, bytes(payload)))
        return n


def boot(cfg, flash, files, now, rnd, commits):
    journal = Recorder(flash, "flash/state", SEALER.cmac, rnd, files)
    journal.commits = commits
    return Meter(cfg, journal, SEALER, now, None, rnd)


def step(m, action):
    act(m, action)
    m.store.maintain()


def run(scenario, blocks=24):
    cfg = Config(scenario["meter"])
    actions = [(a[0], a[1]) for a in scenario["actions"]]
    amounts = [(a[0], a[1]) for a in scenario["credit"]]
    flash = NorFlash(blocks)
    files = BlockFiles(flash)
    m = boot(cfg, flash, files, 0, Counter(), [])
    for a in actions:
        step(m, a)
    total = flash.ops
    failures = []
    for k in range(1, total + 1):
        flash = NorFlash(blocks)
        files = BlockFiles(flash)
        flash.cut_at = k
        commits = []
        rnd = Counter()
        m = None
        i = 0
        try:
            m = boot(cfg, flash, files, 0, rnd, commits)
            while i < len(actions):
                step(m, actions[i])
                i += 1
        except PowerCut:
            pass
        flash.cut_at = -1
        now = m.now if m else 0
        from stsmeter.jobs import load_state

        probe = Journal(flash, "flash/state", SEALER.cmac, rnd, files)
        found = load_state.load(probe)
        last = commits[-1] if commits else (0, None)
        if (found.seq, found.payload) != last:
            failures.append([k, "state is not the last committed record"])
        m = boot(cfg, flash, files, now, rnd, commits)  # power back
        if m.tamper:
            failures.append([k, "power cut taken for tamper"])
        if not balance_ok(m, amounts):
            failures.append([k, "credit does not match stored tokens"])
        for a in actions[i:]:
            step(m, a)
        if not balance_ok(m, amounts) or not all(m.tids.used(t) for t, _ in amounts):
            failures.append([k, "a credit token was lost or counted twice"])
    return {"flash_ops": total, "cuts_checked": total, "failures": failures[:10],
            "failure_count": len(failures)}


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        print(json.dumps(run(json.load(f))))
