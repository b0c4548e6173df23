"""The attacker review (issue 9): each loophole tried from outside, in both runtimes.

1. a partial key change set must not reset the lockout (`wrong, wrong, section 1` over and
   over), and a section repeated unchanged must not write flash;
2. power cuts must not give energy away (debit-ahead), and each start is logged and saved;
3. a rollover key change to the key in use is refused (it would free every used token);
4. a clock moved forward at a restart does not end a lockout (or an over-power wait);
5. bad input (meter.json, script lines, absurd numbers) gives one line, never a traceback.
"""

import datetime
import json
import os

import pytest
from meterkit import KEY07, OTHER07, START, Bench, credit, make, meter_doc, of
from stsmeter.jobs.meterjson import SETTINGS
from stsmeter.record import CLOCK_MAX

BAD = credit(1, key=OTHER07)  # another meter's token: a CRC error here
CHUNK = SETTINGS["debit_ahead_wh"][0]
FREE, BASE, TOP = (SETTINGS[n][0] for n in ("lockout_free", "lockout_base_s", "lockout_max_s"))


@pytest.fixture(params=["micropython", "cpython"])
def runtime(request):
    return request.param


def codes(events):
    return [e["result"] for e in of(events, "result")]


def kct(new="1122334455667788", **kw):
    fields = dict(krn=2, kt=2, ti=5, ken=255)
    fields.update(kw)
    return make("key_change", new_key=new, **fields)


def seq(b):
    """The newest record's sequence number: how many saves the meter has made."""
    seqs = []
    for name in ("state.a", "state.b"):
        path = os.path.join(b.dir, name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                seqs.append(int.from_bytes(f.read()[3:7], "little"))
    return max(seqs)


def set_clock(b, delta):
    """Move the simulated board's wall clock (the runner's STATE_DIR/clock) by delta s."""
    path = os.path.join(b.dir, "clock")
    with open(path) as f:
        now = int(f.read())
    with open(path, "w") as f:
        f.write(str(now + delta))


def lockout_steps(n):
    """The lockouts the first n counted rejections earn (the rule of lockout.py)."""
    return [0 if i < FREE else min(BASE << (i - FREE), TOP) for i in range(1, n + 1)]


# --- 1. the lockout and key change sections -----------------------------------------------

def test_wrong_wrong_section1_over_and_over_locks(tmp_path, runtime):
    s1, _ = kct()
    rounds = 20
    ev = Bench(tmp_path, runtime).run(*["token " + BAD, "token " + BAD, "token " + s1] * rounds,
                                      "status")
    got = codes(ev)
    # the partial set resets nothing: the third wrong token locks, and everything after it
    assert got[:4] == ["crc", "crc", "kct_partial", "crc"]
    assert got.count("crc") == FREE and got.count("kct_partial") == 1
    assert set(got[FREE + 1:]) == {"locked"} and len(got) == 3 * rounds
    st = of(ev, "status")[0]
    assert st["bad_entries"] == FREE and st["lockout_s"] == BASE
    assert st["key_change_pending"] == [1]


def test_wrong_wrong_section1_waiting_out_each_lockout_doubles_it(tmp_path, runtime):
    s1, _ = kct()
    rounds = 12
    ev = Bench(tmp_path, runtime).run(
        *["token " + BAD, "token " + BAD, "token " + s1, "advance %d" % (TOP + 1)] * rounds,
        "status")
    crc = [r["lockout_s"] for r in of(ev, "result") if r["result"] == "crc"]
    assert crc == lockout_steps(len(crc)) and crc[-1] == TOP  # never reset by section 1
    assert "locked" in codes(ev)
    assert of(ev, "status")[0]["bad_entries"] == len(crc)


def test_a_section_repeated_unchanged_writes_nothing(tmp_path, runtime):
    s1, s2 = kct()
    b = Bench(tmp_path, runtime)
    assert b.results("token " + s1) == ["kct_partial"]
    b.run()
    start_only = seq(b)  # a start saves once (its power-up)
    assert b.results(*["token " + s1] * 5) == ["kct_partial"] * 5
    assert seq(b) == start_only + 1  # that start alone: the five sections saved nothing
    ev = b.run("token " + BAD, "token " + s1, "token " + BAD, "token " + s1, "status")
    assert codes(ev) == ["crc", "kct_partial", "crc", "kct_partial"]
    assert of(ev, "status")[0]["bad_entries"] == 2  # not reset by the sections
    ev = b.run("token " + s2, "status")
    assert codes(ev) == ["accept"] and of(ev, "status")[0]["bad_entries"] == 0  # complete


# --- 2. power cuts and debit-ahead --------------------------------------------------------

def test_power_cuts_bill_every_wh_and_cost_at_most_a_chunk_each(tmp_path, runtime):
    cuts, watts, secs = 100, 10000, 299
    start_kwh = 100
    token = credit(start_kwh)
    cut = Bench(tmp_path / "cut", runtime)
    ev = cut.run("token " + token, *["load %d" % watts, "advance %d" % secs, "power-cycle"] * cuts,
                 "status", "log")
    with_cuts = of(ev, "status")[0]
    power_ons = [e for e in of(ev, "log")[0]["entries"] if e["kind"] == "power_on"]
    steady = Bench(tmp_path / "steady", runtime).run(
        "token " + token, "load %d" % watts, *["advance %d" % secs] * cuts, "status")
    without = of(steady, "status")[0]
    drawn_wh = watts * secs * cuts // 3600
    # without cuts: billed to the Wh
    assert round(without["credit_kwh"] * 1000) == start_kwh * 1000 - drawn_wh
    # with them: every Wh drawn billed too, and at most one chunk's unspent part per cut
    lost_wh = round((without["credit_kwh"] - with_cuts["credit_kwh"]) * 1000)
    assert 0 < lost_wh <= cuts * CHUNK
    # credit + lifetime energy is what the token brought
    assert round((with_cuts["credit_kwh"] + with_cuts["energy_kwh"]) * 1000) == start_kwh * 1000
    assert power_ons[-1]["count"] == cuts + 1  # the first start and one per power cycle


def test_a_power_cut_costs_the_unspent_part_of_the_chunk(tmp_path, runtime):
    for chunk in (CHUNK, 10, 1000):
        b = Bench(tmp_path / str(chunk), runtime, settings={"debit_ahead_wh": chunk})
        ev = b.run("token " + credit(5), "energy 30", "status", "power-cycle", "status",
                   "power-cycle", "status", "energy 1", "power-cycle", "status")
        before, after, again, later = of(ev, "status")
        assert before["credit_kwh"] == 4.97  # billed in RAM to the Wh
        # the chunks drawn, and the one reserved when the last was used up, are debited
        debited = (30 // chunk + 1) * chunk
        assert after["credit_kwh"] == (5000 - debited) / 1000
        assert again == after  # no chunk reserved after a start: nothing more lost
        assert later["credit_kwh"] == (5000 - debited - chunk) / 1000


def test_debit_ahead_keeps_the_relay_and_low_credit_rules(tmp_path, runtime):
    b = Bench(tmp_path, runtime, settings={"low_credit_wh": 1000})
    ev = b.run("token " + credit(1.1), "load 3600", "advance 99", "status", "advance 1",
               "status", "advance 999", "status", "advance 1", "status", "power-cycle", "status")
    st = of(ev, "status")
    assert [(s["credit_kwh"], s["relay"], s["low_credit"]) for s in st] == [
        (1.001, True, False), (1.0, True, False), (0.001, True, True), (0, False, True),
        (0, False, True)]
    assert [e["closed"] for e in of(ev, "relay")] == [True, False]
    assert [w["active"] for w in of(ev, "warning") if w["warning"] == "low_credit"] == [
        False, True]


def test_debit_ahead_with_emergency_credit_and_clear_credit(tmp_path, runtime):
    b = Bench(tmp_path, runtime, settings={"low_credit_wh": 2000, "emergency_credit_wh": 5000})
    ev = b.run("token " + credit(1), "energy 10", "keys 99#", "power-cycle", "status",
               "token " + credit(10, minutes=61), "status",
               "energy 1", "token " + make("clear_credit", register=0, minutes=62),
               "power-cycle", "status")
    cut, repaid, cleared = of(ev, "status")
    # 1 kWh - the chunk debited at the first Wh + 5 kWh of emergency credit, 5 kWh owed
    assert (cut["credit_kwh"], cut["emergency_owed_kwh"]) == ((1000 - CHUNK + 5000) / 1000, 5)
    assert (repaid["credit_kwh"], repaid["emergency_owed_kwh"]) == (
        (1000 - CHUNK + 10000) / 1000, 0)
    assert (cleared["credit_kwh"], cleared["relay"]) == (0, False)  # no chunk left over
    # what the tokens and the emergency credit brought is credit or energy, to the Wh
    assert round((repaid["credit_kwh"] + repaid["energy_kwh"]) * 1000) == 11000


def test_each_start_is_counted_in_the_log_and_saved(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    b.run()
    b.run()
    ev = b.run("power-cycle", "log")
    counts = [e["count"] for e in of(ev, "log")[0]["entries"] if e["kind"] == "power_on"]
    assert counts == [1, 2, 3, 4]


def test_the_default_record_fits_inline(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    b.run("token " + credit(1), *["token " + BAD] * 2, "load 100", "advance 10")
    for name in ("state.a", "state.b"):
        assert os.path.getsize(os.path.join(b.dir, name)) <= 512


@pytest.mark.parametrize("chunk", [9, 1001, 100.0])
def test_debit_ahead_setting_range(tmp_path, runtime, chunk):
    rc, ev = Bench(tmp_path, runtime, settings={"debit_ahead_wh": chunk}).run_raw("status")
    assert rc == 1 and [e["event"] for e in ev] == ["error"]
    assert "debit_ahead_wh must be" in ev[0]["detail"]


# --- 3. rollover to the same key ----------------------------------------------------------

def test_rollover_to_the_same_key_is_refused(tmp_path, runtime):
    t = credit(10)
    s1, s2 = kct(new=KEY07, ro=1)
    b = Bench(tmp_path, runtime)
    before = of(b.run("token " + t, "status"), "status")[0]
    ev = b.run("token " + s1, "token " + s2, "status", "power-cycle", "status",
               *["token " + t] * 3, "token " + s2, "status")
    res = of(ev, "result")
    assert codes(ev) == ["kct_partial", "function", "used", "used", "used", "kct_partial"]
    assert res[1]["detail"] == "rollover to the same key refused"
    now, restarted, last = of(ev, "status")
    for st in (now, restarted):
        assert st["key_change_pending"] == []  # the set's buffer cleared, and saved
        for field in ("tids", "krn", "base_date", "credit_kwh"):
            assert st[field] == before[field]
    assert last["credit_kwh"] == 10 and last["key_change_pending"] == [2]


def test_same_key_without_rollover_is_allowed(tmp_path, runtime):
    t = credit(10)
    s1, s2 = kct(new=KEY07)
    ev = Bench(tmp_path, runtime).run("token " + t, "token " + s1, "token " + s2, "token " + t,
                                      "status")
    assert codes(ev) == ["accept", "kct_partial", "accept", "used"]
    st = of(ev, "status")[0]
    assert st["krn"] == 2 and st["credit_kwh"] == 10 and st["base_date"] == 2014


# --- 4. the clock at a restart ------------------------------------------------------------

def test_a_clock_moved_forward_does_not_end_a_lockout(tmp_path, runtime):
    good = credit(3)
    b = Bench(tmp_path, runtime)
    assert of(b.run(*["token " + BAD] * FREE, "status"), "status")[0]["lockout_s"] == BASE
    set_clock(b, TOP)
    ev = b.run("status", "token " + good, "advance %d" % (BASE - 1), "token " + good,
               "advance 1", "token " + good, "status")
    st = of(ev, "status")
    assert st[0]["lockout_s"] == BASE  # what was left at the last save
    assert codes(ev) == ["locked", "locked", "accept"]
    assert st[1]["credit_kwh"] == 3 and st[1]["bad_entries"] == 0


def test_a_clock_set_back_does_not_stretch_a_lockout(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    b.run(*["token " + BAD] * FREE, "advance 3")
    set_clock(b, -100000)
    ev = b.run("status", "advance %d" % (BASE - 1), "status", "advance 1", "status")
    assert [s["lockout_s"] for s in of(ev, "status")] == [BASE, 1, 0]


def test_a_waited_out_lockout_stays_over_after_a_power_cycle(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    ev = b.run(*["token " + BAD] * FREE, "advance %d" % BASE, "power-cycle", "status",
               "token " + credit(1))
    assert of(ev, "status")[0]["lockout_s"] == 0 and codes(ev)[-1] == "accept"


def test_a_clock_moved_forward_does_not_end_an_overpower_wait(tmp_path, runtime):
    b = Bench(tmp_path, runtime, settings={"overload_s": 5, "trip_delay_s": 30})
    ev = b.run("token " + credit(10), "token " + make("max_power_limit", limit_w=3000,
                                                        minutes=61),
               "load 4000", "advance 5", "status")
    assert of(ev, "status")[0]["tripped"] is True
    set_clock(b, 100000)
    ev = b.run("status", "advance 29", "status", "advance 1", "status")
    assert [(s["tripped"], s["relay"]) for s in of(ev, "status")] == [
        (True, False), (True, False), (False, True)]


# --- 5. bad input --------------------------------------------------------------------------

WRONG = {  # JSON values of a wrong type or form for each field
    "decoder_key": [123, 1.5, True, [], {}, "0ABC12DEF345678", "0ABC12DEF345678G",
                    "0A BC12DEF3456789"],
    "ea": [7, 11, 7.0, True, None, [], {}, "7", "EA07"],
    "base_date": [2014.0, "2014", True, None, [], {}, 2015],
    "key_type": [2.0, "2", True, None, [], {}, 4],
    "krn": [1.0, "1", False, None, [], {}, 0],
    "ti": [1, 1.0, True, None, [], {}, "1", "0x", "٠١"],
    "sgc": [1.5, True, None, [], {}, "12345", "12345²", -123456],
    "ken": [255.0, "255", True, None, [], {}, 256],
    "pan": [1.5, True, None, [], {}, "60072700000000000x"],
    "mfr_code": [7, 7.0, True, None, [], {}, "7", "007"],
    "provisioned_at": [None, 2024, 1.5, True, [], {}, "2026-13-45T99:99",
                       "2023-02-29T00:00:00Z", "2024-06-01T24:00", "2024-06-01T00:60",
                       "2024-06-01T00:00:60", "2024-06-31T00:00", "+024-06-01T00:00",
                       " 2024-06-01T00:00", "2024-06-01x00:00", "1992-12-31T23:59",
                       "2024-06-01T00:00ZZ"],
    "settings": [[], 5, 1.5, True, None, "x", {"nonsense": 1}],
}
WRONG_SETTING = [1.5, "10", True, None, [], {}]


def bad_docs():
    """(document, what the error must name): every field with every kind of wrong value."""
    docs = [(doc, "meter.json") for doc in ([], None, 5, "x", True)]
    for field, values in WRONG.items():
        for v in values:
            docs.append((meter_doc(**{field: v}), field))
    for name in SETTINGS:
        for v in WRONG_SETTING:
            docs.append((meter_doc(settings={name: v}), name))
    return docs


def test_bad_meter_json_gives_one_line_naming_the_field(tmp_path, runtime):
    for i, (doc, field) in enumerate(bad_docs()):
        b = Bench(tmp_path / str(i), runtime)
        b.write_doc(doc)
        rc, ev = b.run_raw("status")
        assert (rc, b.stderr) == (1, ""), (doc, b.stderr)
        assert [e["event"] for e in ev] == ["error"], doc
        assert field in ev[0]["detail"], (doc, ev)
    for i, text in enumerate((b"", b"{", b"[1, 2", b"\xff\xfe{}", b'{"ea": "\xff"}')):
        b = Bench(tmp_path / ("text%d" % i), runtime)
        b.write_doc(text)
        rc, ev = b.run_raw("status")
        assert (rc, b.stderr, [e["event"] for e in ev]) == (1, "", ["error"])


def test_a_start_leap_day_is_taken(tmp_path, runtime):
    b = Bench(tmp_path, runtime, provisioned_at="2024-02-29T23:59:59Z")
    assert b.status()["time"] == "2024-02-29T23:59:59Z"


def test_advance_any_number_answers_at_once_and_the_clock_stops(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    cap = (datetime.datetime.fromisoformat(START.rstrip("Z")) +
           datetime.timedelta(seconds=CLOCK_MAX)).strftime("%Y-%m-%dT%H:%M:%SZ")
    code, ev = b.run_bytes(b"advance 1000000000000\nstatus\nadvance 99999999999999999999\n"
                           b"token " + credit(1, minutes=-5).encode() + b"\nstatus\n", timeout=20)
    assert code == 0 and b.stderr == ""
    assert [w["warning"] for w in of(ev, "warning")] == ["clock_limit"]  # once
    st = of(ev, "status")
    assert st[0]["time"] == st[1]["time"] == cap
    # the meter goes on there: it saves, starts again and takes a token
    ev = b.run("token " + credit(2), "load 1000", "advance 360", "power-cycle", "status")
    assert codes(ev) == ["accept"] and of(ev, "status")[0]["time"] == cap
    assert of(ev, "status")[0]["credit_kwh"] < 2


def test_advance_with_a_load_spends_to_zero_and_answers(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    code, ev = b.run_bytes(b"token " + credit(5).encode() + b"\nload 1\n"
                           b"advance 1000000000000\nstatus\n", timeout=20)
    st = of(ev, "status")[0]
    assert code == 0 and st["credit_kwh"] == 0 and st["relay"] is False
    assert st["energy_kwh"] == 5


def test_a_clock_beyond_32_bits_starts_and_saves(tmp_path, runtime):
    longest = {"lockout_base_s": 3600, "lockout_max_s": 86400, "key_change_timeout_s": 86400,
               "trip_delay_s": 3600, "trip_delay_max_s": 86400}  # times furthest ahead
    b = Bench(tmp_path, runtime, settings=longest)
    b.run("token " + credit(1))
    set_clock(b, 1 << 40)
    for _ in range(2):
        ev = b.run("token " + credit(2, minutes=61), "status")
        assert [w for w in of(ev, "warning") if w["warning"] == "clock_limit"] == [
            {"event": "warning", "warning": "clock_limit"}]
    assert of(ev, "status")[0]["credit_kwh"] == 3
    # a record with every time at its furthest (lockout, key change) packs and loads
    s1, _ = kct()
    b.run("token " + s1, *["token " + BAD] * FREE)
    st = b.status()
    assert (st["lockout_s"], st["key_change_pending"], st["credit_kwh"]) == (3600, [1], 3)


def test_bad_bytes_and_long_lines_are_answered_and_the_runner_goes_on(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    data = (b"token \xff\xfe\n" + b"keys 1\x002#\n" + b"x" * 1000000 + b"\n" + b"status\n" +
            b"k" * 5000 + b"\n" + b"keys 3#\n")
    code, ev = b.run_bytes(data, timeout=60)
    assert code == 2 and "4 bad script line(s), the first line 1" in b.stderr
    assert [e["event"] for e in ev if e["event"] in ("error", "status", "result")] == [
        "error", "error", "error", "status", "error", "result"]
    assert of(ev, "result")[0]["code"] == 3


def test_absurd_numbers_are_refused(tmp_path, runtime):
    huge = "1" + "0" * 30
    bad = ["load " + huge, "energy " + huge, "advance -1", "advance 1e3", "load 10**30",
           "energy 10**30", "energy 1000000001", "load 250001"]
    ev = Bench(tmp_path, runtime).run_bad(*bad, "token " + credit(1), "energy 400", "status")
    assert len(of(ev, "error")) == len(bad)
    st = of(ev, "status")[0]
    assert st["credit_kwh"] == 0.6 and st["load_w"] == 0


def test_sim_py_one_line_errors(tmp_path):
    import subprocess
    import sys

    from conftest import TOOLS

    sim = [sys.executable, str(TOOLS / "sim.py")]
    meter = tmp_path / "meter.json"
    meter.write_text(json.dumps(meter_doc(settings=[])))
    for runtime in ("micropython", "cpython"):
        p = subprocess.run(sim + ["--meter", str(meter), "--state", str(tmp_path / "s"),
                                  "--script", "-", "--runtime", runtime],
                           input="status\n", capture_output=True, text=True, timeout=60)
        assert p.returncode == 1 and p.stderr == ""
        assert [json.loads(line)["event"] for line in p.stdout.splitlines()] == ["error"]
    p = subprocess.run(sim + ["--meter", str(meter), "--state", str(tmp_path / "s"),
                              "--script", str(tmp_path / "missing")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "Traceback" not in p.stderr  # argparse's usage and error
    assert p.stderr.strip().splitlines()[-1].startswith("sim.py: error: cannot read")
