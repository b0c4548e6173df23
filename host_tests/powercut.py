"""Power cuts at every write: after each file write or rename, and in the middle of each
write. Runs under CPython (pytest imports it) and MicroPython (pytest runs it):

    micropython host_tests/powercut.py SCENARIO.json      -> one JSON summary line

The scenario (meterkit.cut_scenario) is a meter.json and a list of actions. A
reference run without cuts records every committed record. Then, for each write k (and
half-way through it), the run is cut there, the meter restarted from the fake flash, and:
  - the state it loads is exactly the last record committed before the cut (the start
    then saves its power-up in the other slot);
  - credit + lifetime energy used == the electricity tokens whose TIDs are stored;
  - re-doing the interrupted action and the rest ends with every credit token in.
"""

import json
import sys

try:
    from stsmeter.config import Config
except ImportError:  # CPython run as a script: use the shim
    sys.path.insert(0, "tools")
    import paths  # noqa: F401  (the shim)
    from stsmeter.config import Config

from stsmeter.meter import Meter
from stsmeter.seal import Sealer
from stsmeter.store import Store


class PowerCut(Exception):
    pass


class FakeFiles:
    """A flash in RAM whose power can be cut at the k-th write or rename."""

    def __init__(self):
        self.data = {}
        self.ops = 0
        self.cut_at = -1
        self.mid = False
        self.commits = []  # payload-bearing record after each rename

    def _op(self):
        self.ops += 1
        return self.ops == self.cut_at

    def read(self, path):
        return self.data.get(path)

    def write(self, path, data):
        cut = self._op()
        if cut and self.mid:
            self.data[path] = bytes(data[: len(data) // 2])
            raise PowerCut()
        self.data[path] = bytes(data)
        if cut:
            raise PowerCut()

    def rename(self, src, dst):
        cut = self._op()
        self.data[dst] = self.data.pop(src)
        if dst.endswith(("state.a", "state.b")):  # a record (not the sealed settings)
            self.commits.append(self.data[dst])
        if cut:
            raise PowerCut()

    def mkdir(self, path):
        pass

    def listdir(self, path):
        return sorted(p[len(path) + 1:] for p in self.data if p.startswith(path + "/"))

    def remove(self, path):
        self.data.pop(path, None)


class Counter:
    """Deterministic 'random' bytes, so records are comparable between runs."""

    def __init__(self):
        self.n = 0

    def __call__(self, size):
        self.n += 1
        return bytes((self.n + i) & 0xFF for i in range(size))


def boot(cfg, files, now, rnd):
    sealer = Sealer(b"powercut-test")
    return Meter(cfg, Store("flash", sealer.cmac, files), sealer, now, None, rnd)


def act(m, action):
    kind, arg = action
    if kind == "token":
        for k in arg + "#":
            m.press(k)
    elif kind == "keys":
        for k in arg:
            m.press(k)
    elif kind == "load":
        m.set_load(arg)
    elif kind == "advance":
        m.advance(arg)


def newest(files):
    """The committed record a restart should load: the last one renamed into place."""
    return files.commits[-1] if files.commits else None


def balance_ok(m, amounts):
    """credit + lifetime use == sum of the electricity tokens whose TID is stored."""
    stored = sum(a for tid, a in amounts if m.tids.used(tid))
    return m.credit.wh + m.credit.used_wh == stored * 100


def run(scenario):
    cfg = Config(scenario["meter"])
    actions = [(a[0], a[1]) for a in scenario["actions"]]
    amounts = [(a[0], a[1]) for a in scenario["credit"]]  # (TID, tenths)
    ref = FakeFiles()
    m = boot(cfg, ref, 0, Counter())
    for a in actions:
        act(m, a)
    total_ops = ref.ops
    checked = 0
    failures = []
    for k in range(1, total_ops + 1):
        for mid in (False, True):
            files = FakeFiles()
            files.cut_at, files.mid = k, mid
            rnd = Counter()
            m = None
            i = 0
            try:
                m = boot(cfg, files, 0, rnd)  # first start provisions: that is a write too
                while i < len(actions):
                    act(m, actions[i])
                    i += 1
            except PowerCut:
                pass
            expected = newest(files)
            m = boot(cfg, files, m.now if m else 0, rnd)  # power back: restart from flash
            seq = m.store.seq - 1  # the start saved its power-up after what it loaded
            got = files.data.get("flash/state.a" if seq % 2 else "flash/state.b")
            if expected is not None and got != expected:
                failures.append([k, mid, "state is not the last committed record"])
            if m.tamper:
                failures.append([k, mid, "power cut taken for tamper"])
            if not balance_ok(m, amounts):
                failures.append([k, mid, "credit does not match stored tokens"])
            for a in actions[i:]:  # the interrupted action again, then the rest
                act(m, a)
            if not balance_ok(m, amounts) or not all(m.tids.used(t) for t, _ in amounts):
                failures.append([k, mid, "a credit token was lost or counted twice"])
            checked += 1
    return {"writes": total_ops, "cuts_checked": checked, "failures": failures[:10],
            "failure_count": len(failures)}


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        print(json.dumps(run(json.load(f))))
