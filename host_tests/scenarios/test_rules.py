"""Review scenarios: the meter's rules (issue 3, README) probed from outside, both runtimes."""

import os
import shutil

import pytest
from meterkit import KEY07, KEY11, OTHER07, Bench, credit, make, minutes_after_start, of
from stshost import vending
from stsmeter.sts.decoder import make_cipher

NEW07 = "1122334455667788"
NEW11 = "B208834372EF892EF6E04C28593090D4"
START_KEN = minutes_after_start(0) >> 16  # 83: the top byte of TIDs issued around START
BAD = credit(1, key=OTHER07)  # another meter's token: CRC error here
MPL3K = make("max_power_limit", limit_w=3000, minutes=61)


@pytest.fixture(params=["micropython", "cpython"])
def runtime(request):
    return request.param


def kct(new=NEW07, **kw):
    fields = dict(krn=2, kt=2, ti=5, ken=255)
    fields.update(kw)
    return make("key_change", new_key=new, **fields)


def codes(events):
    return [e["result"] for e in of(events, "result")]


def class1_bad_crc():
    t = make("test_display_1", control=1, mfr_code=7)
    return t[:-1] + str((int(t[-1]) + 1) % 10)  # CRC bits only: still class 1


def raw_token(cls, sub, tid=0):
    """A token of a (class, subclass) the vending tool refuses to build, under KEY07."""
    tok = (vending.key_section(sub, 0, 0x21, bytes(4)) if cls == 2 and sub in (8, 9)
           else vending.tid_token(cls, sub, 3, tid, 0))
    return vending.encode(tok, make_cipher("07", bytes.fromhex(KEY07)))


# --- result order when several rules apply ------------------------------------------------

def test_key_expired_comes_before_used_and_old(tmp_path, runtime):
    b = Bench(tmp_path, runtime, ken=START_KEN - 1)  # every token of 2024 is beyond the key
    # issued before provisioning (old) and in the provisioning minute (= the stored TID: used)
    assert b.results("token " + credit(1, minutes=-5), "token " + credit(1, minutes=0)) == [
        "key_expired", "key_expired"]


def test_ddtk_comes_before_used_old_and_function(tmp_path, runtime):
    b = Bench(tmp_path, runtime, key_type=1)
    toks = [credit(1, minutes=0), credit(1, minutes=-5), make("time_credit", amount="5"),
            make("electricity_currency", amount="10"), make("max_power_limit", limit_w=0)]
    assert b.results(*("token " + t for t in toks)) == ["ddtk"] * 4 + ["accept"]


def test_same_key_change_to_ddtk_or_lower_ken_beats_used(tmp_path, runtime):
    t, mpl = credit(3), make("max_power_limit", limit_w=9000, minutes=61)
    b = Bench(tmp_path, runtime)
    s1, s2 = kct(new=KEY07, kt=1)  # same key, now a default key
    assert b.results("token " + t, "token " + mpl, "token " + s1, "token " + s2, "token " + t,
                     "token " + mpl) == ["accept", "accept", "kct_partial", "accept", "ddtk",
                                         "used"]
    b2 = Bench(tmp_path / "ken", runtime)
    s1, s2 = kct(new=KEY07, ken=START_KEN - 1)
    assert b2.results("token " + t, "token " + s1, "token " + s2, "token " + t) == [
        "accept", "kct_partial", "accept", "key_expired"]


def test_used_and_old_come_before_overflow_function_range(tmp_path, runtime):
    b = Bench(tmp_path, runtime, settings={"credit_limit_wh": 1000})
    half = credit(0.5, minutes=1)
    toks = [half, credit(0.5, minutes=2), half,  # full register: the used token is still Used
            credit(5, minutes=-5), make("time_credit", amount="1", minutes=-4),
            make("clear_credit", register=8, minutes=-3), credit(0.1, minutes=3)]
    assert b.results(*("token " + t for t in toks)) == [
        "accept", "accept", "used", "old", "old", "old", "overflow"]


def test_unknown_subclass_is_function_before_ddtk_and_tid_checks(tmp_path, runtime):
    b = Bench(tmp_path, runtime, key_type=1)
    toks = [raw_token(0, 9), raw_token(2, 12), raw_token(2, 8), raw_token(2, 9)]
    ev = b.run(*("token " + t for t in toks), "status")
    # class 0 sub 9 and class 2 sub 12 have no layout; sections 3/4 do not exist for EA07
    assert codes(ev) == ["function"] * 4
    st = of(ev, "status")[0]
    assert st["bad_entries"] == 0 and st["key_change_pending"] == []


# --- lockout ---------------------------------------------------------------------------------

def test_during_lockout_class1_and_short_codes_work_sections_are_locked(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    s1, s2 = kct()
    ev = b.run("token " + s1, *["token " + BAD] * 3, "token " + s2,
               "token " + make("test_display_1", control=0b11000, mfr_code=7),
               "token " + class1_bad_crc(), "token " + make("test_display_1", control=1,
                                                            mfr_code=8),
               "keys 6#", "status", "advance 10", "token " + s2, "status")
    res = of(ev, "result")
    assert codes(ev) == ["kct_partial", "crc", "crc", "crc", "locked", "accept", "crc",
                         "mfr_code", "short_code", "accept"]
    assert res[5]["tests"] == ["key_data", "version"]
    st = of(ev, "status")
    assert st[0]["bad_entries"] == 3 and st[0]["lockout_s"] == 10  # nothing above counted
    assert st[0]["key_change_pending"] == [1]  # the locked section changed nothing
    assert st[1]["krn"] == 2 and st[1]["bad_entries"] == 0


def test_format_error_during_lockout_is_format(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    ev = b.run(*["token " + BAD] * 3, "token 73786976294838206463", "keys 12345#")
    assert codes(ev) == ["crc", "crc", "crc", "format", "format"]


def test_class1_errors_and_genuine_rejections_do_not_count(tmp_path, runtime):
    b = Bench(tmp_path, runtime, ken=START_KEN, settings={"credit_limit_wh": 1000})
    toks = [class1_bad_crc()] * 3 + [make("test_display_1", control=1, mfr_code=8)] * 3 + [
        BAD, BAD, credit(1, tid=(START_KEN + 1) << 16), make("time_credit", amount="1"),
        make("clear_credit", register=8), credit(5, minutes=7), credit(1, minutes=-1)]
    ev = b.run(*("token " + t for t in toks), "keys 0#", "keys 777#", "status")
    assert codes(ev)[6:13] == ["crc", "crc", "key_expired", "function", "range", "overflow",
                               "old"]
    st = of(ev, "status")[0]
    assert st["bad_entries"] == 2 and st["lockout_s"] == 0


def test_short_codes_neither_count_nor_reset(tmp_path, runtime):
    ev = Bench(tmp_path, runtime).run("token " + BAD, "token " + BAD, "keys 0#", "keys 6#",
                                      "keys 777#", "keys #", "token " + BAD)
    assert codes(ev) == ["crc", "crc"] + ["short_code"] * 3 + ["crc"]
    assert of(ev, "result")[-1]["lockout_s"] == 10


def test_lockout_doubles_to_1280_by_default(tmp_path, runtime):
    script = []
    for _ in range(11):
        script += ["token " + BAD, "advance 1300"]
    ev = Bench(tmp_path, runtime).run(*script)
    assert [r["lockout_s"] for r in of(ev, "result")] == [0, 0, 10, 20, 40, 80, 160, 320, 640,
                                                          1280, 1280]


def test_lockout_expires_to_the_second_across_a_power_cycle(tmp_path, runtime):
    """The lockout runs in running time: a power cycle resumes it with what was left at the
    last save (the rejection that started it, 10 s), then it ends to the second."""
    b = Bench(tmp_path, runtime)
    ev = b.run(*["token " + BAD] * 3, "advance 4", "power-cycle", "status", "keys 6#",
               "advance 9", "token " + credit(2), "advance 1", "token " + credit(2), "status")
    st = of(ev, "status")
    assert st[0]["lockout_s"] == 10
    assert codes(ev)[3:] == ["short_code", "locked", "accept"]
    assert of(ev, "result")[3]["lockout_s"] == 10
    assert of(ev, "result")[4]["lockout_s"] == 1
    assert st[1]["lockout_s"] == 0 and st[1]["bad_entries"] == 0


def test_a_base_delay_above_its_maximum_is_refused(tmp_path, runtime):
    for i, settings in enumerate(({"lockout_base_s": 100, "lockout_max_s": 50},
                                  {"trip_delay_s": 100, "trip_delay_max_s": 50})):
        b = Bench(tmp_path / str(i), runtime, settings=settings)
        rc, ev = b.run_raw("status")
        assert rc != 0 and "must not exceed" in of(ev, "error")[0]["detail"]


def test_key_type_refusal_does_not_reset_lockout(tmp_path, runtime):
    s1, s2 = kct(kt=0)  # to DITK on a DUTK meter: refused
    ev = Bench(tmp_path, runtime).run("token " + s1, "token " + BAD, "token " + BAD,
                                      "token " + s2, "token " + BAD, "status")
    assert codes(ev) == ["kct_partial", "crc", "crc", "key_type", "crc"]
    assert of(ev, "status")[0]["lockout_s"] == 10


# --- TID memory and KEN ---------------------------------------------------------------------

def test_tid_store_out_of_order_equal_smallest_and_eviction(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    down = [credit(1, minutes=m) for m in range(149, 99, -1)]  # 50 tokens, newest first
    ev = b.run(*("token " + t for t in down), "status",
               "token " + credit(2, minutes=100),  # equal to the smallest stored: Used
               "token " + credit(2, minutes=125), "token " + credit(2, minutes=99),
               "token " + credit(2, minutes=150), "token " + credit(2, minutes=100), "status")
    assert codes(ev) == ["accept"] * 50 + ["used", "used", "old", "accept", "old"]
    st = of(ev, "status")
    assert st[0]["tids"] == [minutes_after_start(m) for m in range(100, 150)]
    assert st[1]["tids"] == [minutes_after_start(m) for m in range(101, 151)]
    assert st[1]["credit_kwh"] == 52


def test_tid_zero_max_and_the_provisioning_minute(tmp_path, runtime):
    b = Bench(tmp_path, runtime)  # KEN 255: never expires
    toks = [credit(1, tid=0), credit(1, minutes=-1), credit(1, minutes=0),
            credit(1, tid=0xFFFFFF), credit(2, tid=0xFFFFFF), credit(1, minutes=5)]
    # issued in the provisioning minute: taken (the memory holds the minute before it)
    assert b.results(*("token " + t for t in toks)) == ["old", "old", "accept", "accept",
                                                        "used", "accept"]
    assert b.results("power-cycle", "token " + credit(3, tid=0xFFFFFF)) == ["used"]
    assert b.status()["credit_kwh"] == 3


def test_tid_store_size_setting(tmp_path, runtime):
    assert len(Bench(tmp_path, runtime, settings={"tid_store_size": 60}).status()["tids"]) == 60
    rc, ev = Bench(tmp_path / "49", runtime, settings={"tid_store_size": 49}).run_raw("status")
    assert rc == 1 and [e["event"] for e in ev] == ["error"]  # never fewer than 50
    assert "tid_store_size" in ev[0]["detail"]


@pytest.mark.parametrize("ken,ok_tid,bad_tid", [
    (START_KEN, (START_KEN << 16) | 0xFFFF, (START_KEN + 1) << 16),
    (254, (254 << 16) | 0xFFFF, 0xFFFFFF)])
def test_ken_boundary(tmp_path, runtime, ken, ok_tid, bad_tid):
    b = Bench(tmp_path, runtime, ken=ken)
    assert b.results("token " + credit(1, tid=bad_tid), "token " + credit(1, tid=ok_tid)) == [
        "key_expired", "accept"]


def test_ken_from_kenho_and_kenlo_of_a_completed_set(tmp_path, runtime):
    s1, s2 = kct(ken=0x54, new=NEW07)  # KENHO 5 in section 1, KENLO 4 in section 2
    b = Bench(tmp_path, runtime)
    ev = b.run("token " + s2, "token " + s1, "status",
               "token " + credit(1, key=NEW07, tid=0x55 << 16),
               "token " + credit(1, key=NEW07, tid=(0x54 << 16) | 0xFFFF))
    assert of(ev, "status")[0]["ken"] == 0x54
    assert codes(ev) == ["kct_partial", "accept", "key_expired", "accept"]


# --- key change -----------------------------------------------------------------------------

def test_sections_twice_credit_between_and_the_ten_minute_window(tmp_path, runtime):
    s1, s2 = kct(new=KEY07)  # the same key: the set still authenticates once installed
    b = Bench(tmp_path, runtime)
    ev = b.run("token " + s1, "token " + s1, "token " + credit(1, minutes=5), "status",
               "advance 599", "token " + s2, "token " + s2, "status", "token " + s1)
    assert codes(ev) == ["kct_partial", "kct_partial", "accept", "accept", "kct_partial",
                         "accept"]
    st = of(ev, "status")
    assert st[0]["key_change_pending"] == [1] and st[0]["credit_kwh"] == 1
    assert st[1]["key_change_pending"] == [2] and st[1]["krn"] == 2
    assert of(ev, "key_change") == []


def test_key_type_refusal_discards_the_set_and_keeps_the_key(tmp_path, runtime):
    s1, s2 = kct(kt=0)
    ev = Bench(tmp_path, runtime).run(
        "token " + s1, "token " + s2, "status", "token " + credit(1, key=NEW07, minutes=5),
        "token " + credit(1, minutes=6), "token " + s2)
    st = of(ev, "status")[0]
    assert (st["krn"], st["kt"], st["key_change_pending"]) == (1, 2, [])
    assert codes(ev) == ["kct_partial", "key_type", "crc", "accept", "kct_partial"]


def test_128bit_set_ignores_the_3kct_bit(tmp_path, runtime):
    b = Bench(tmp_path, runtime, decoder_key=KEY11, ea="11")
    sections = make("key_change", key=KEY11, alg="misty1", new_key=NEW11, krn=3, kt=2, ti=9,
                    ken=255, sgc=111222, res=1)
    assert b.results(*("token " + t for t in sections)) == ["kct_partial"] * 3 + ["accept"]
    st = b.status()
    assert (st["krn"], st["ti"], st["sgc"]) == (3, "09", "111222")


def test_rollover_survives_power_cycle_and_keeps_the_new_floor(tmp_path, runtime):
    s1, s2 = kct(ro=1)
    b = Bench(tmp_path, runtime)
    ev = b.run("token " + s1, "token " + s2, "token " + credit(1, minutes=70),  # old key
               "token " + credit(1, key=NEW07, tid=100), "power-cycle", "status",
               "token " + credit(1, key=NEW07, tid=50), "token " + credit(1, key=NEW07, tid=0),
               "token " + credit(1, key=NEW07, tid=100))
    assert codes(ev) == ["kct_partial", "accept", "crc", "accept", "old", "old", "used"]
    st = of(ev, "status")[0]
    assert (st["base_date"], st["tids"], st["credit_kwh"]) == (2035, [100], 1)


# --- credit, supply, tamper -------------------------------------------------------------------

def test_register_limits_exactly_reached_then_overflow(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    toks = []
    for i, kind in enumerate(("electricity_credit", "water_credit", "gas_credit")):
        # 999 962.4 (exactly encodable) + 37.5 = 999 999.9, the register's top; then 0.1 more
        toks += [make(kind, amount=a, minutes=10 * i + j + 1)
                 for j, a in enumerate(("999962.4", "37.5", "0.1"))]
    ev = b.run(*("token " + t for t in toks), "status")
    assert codes(ev) == ["accept", "accept", "overflow"] * 3
    st = of(ev, "status")[0]
    assert (st["credit_kwh"], st["water_m3"], st["gas_m3"]) == (999999.9, 999999.9, 999999.9)
    assert minutes_after_start(3) not in st["tids"]


def test_load_changes_low_credit_edge_and_relay_opens_at_exactly_zero(tmp_path, runtime):
    b = Bench(tmp_path, runtime, settings={"low_credit_wh": 2000})
    ev = b.run("token " + credit(3), "load 3600", "advance 1000", "status", "advance 1",
               "status", "load 1800", "advance 3996", "load 3600", "status", "advance 1",
               "status", "advance 1000", "status")
    st = of(ev, "status")
    assert [(s["credit_kwh"], s["relay"], s["low_credit"]) for s in st] == [
        (2.0, True, False), (1.999, True, True), (0.001, True, True), (0, False, True),
        (0, False, True)]
    assert st[-1]["energy_kwh"] == 3
    assert [e["closed"] for e in of(ev, "relay")] == [True, False]  # open at power-on: no change
    assert [e["active"] for e in of(ev, "warning")] == [False, True]


def test_emergency_credit_only_while_below_the_low_level(tmp_path, runtime):
    b = Bench(tmp_path, runtime, settings={"low_credit_wh": 2000, "emergency_credit_wh": 5000})
    ev = b.run("token " + credit(2), "keys 99#", "energy 1", "keys 99#", "keys 99#", "status")
    given = [r["given_kwh"] for r in of(ev, "result") if r.get("code") == 99]
    assert given == [0, 5, 0]  # 2.0 kWh is not low; 1.999 is; once
    st = of(ev, "status")[0]
    assert st["credit_kwh"] == 6.999 and st["emergency_owed_kwh"] == 5


def test_overpower_at_the_limit_and_trip_across_power_cycle(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    ev = b.run("token " + credit(100), "token " + MPL3K, "load 3000", "advance 100", "status",
               "load 3001", "advance 5", "status", "power-cycle", "status", "advance 29",
               "status", "load 0", "advance 1", "status")
    assert [(s["relay"], s["tripped"], s["trips"]) for s in of(ev, "status")] == [
        (True, False, 0), (False, True, 1), (False, True, 1), (False, True, 1), (True, False, 1)]


def test_trip_back_off_caps_at_32_minutes_by_default(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    ev = b.run("token " + credit(100), "token " + MPL3K, "load 4000", "advance 3851", "status",
               "advance 1918", "status", "advance 1", "status")
    # trips at 5, 40, 105, 230, 475, 960, 1925, 3850 s: waits 30, 60 ... 960, 1920, 1920
    assert [(s["relay"], s["trips"]) for s in of(ev, "status")] == [
        (False, 8), (False, 8), (True, 8)]
    closed = [e["closed"] for e in of(ev, "relay")]
    assert all(a != c for a, c in zip(closed, closed[1:]))


def test_tamper_at_zero_credit_flips_nothing_twice(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    ev = b.run("tamper", "tamper", "token " + make("clear_tamper", minutes=1),
               "token " + make("clear_tamper", minutes=2), "token " + credit(1, minutes=3))
    assert [e["active"] for e in of(ev, "tamper")] == [True, False]
    assert codes(ev) == ["accept"] * 3
    # open at power-on (no change from an unpowered relay), then closed by the credit
    assert [(e["closed"], e["reason"]) for e in of(ev, "relay")] == [(True, "credit")]


# --- state files ----------------------------------------------------------------------------

def _slots_by_age(b):
    paths = [os.path.join(b.dir, n) for n in ("state.a", "state.b")]
    return sorted(paths, key=lambda p: int.from_bytes(open(p, "rb").read()[3:7], "little"))


def test_deleted_older_slot_is_tamper_and_clearing_it_lasts(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    b.run("advance 7200", "token " + credit(5), "token " + credit(1, minutes=61))
    os.remove(_slots_by_age(b)[0])
    ev = b.run("status", "token " + make("clear_tamper", minutes=150), "power-cycle", "status")
    st = of(ev, "status")
    assert st[0]["tamper"] is True and st[0]["relay"] is False and st[0]["credit_kwh"] == 6
    assert st[1]["tamper"] is False and st[1]["relay"] is True and st[1]["credit_kwh"] == 6


def test_accepted_token_log_entry_and_last_result_survive_power_cycle(tmp_path, runtime):
    ev = Bench(tmp_path, runtime).run("token " + credit(5), "power-cycle", "status", "keys 2#",
                                      "log")
    assert of(ev, "status")[0]["credit_kwh"] == 5
    assert of(ev, "result")[-1]["show"] == ["Last token", "OK 5.0 kWh"]
    assert {"kind": "token", "result": "accept", "amount": 5} in [
        {k: e[k] for k in ("kind", "result", "amount") if k in e}
        for e in of(ev, "log")[0]["entries"]]


def test_deleting_both_slots_frees_no_token(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    t = credit(5)
    assert b.results("advance 7200", "token " + t) == ["accept"]
    for p in _slots_by_age(b):
        os.remove(p)
    ev = b.run("status", "token " + t)
    assert codes(ev) != ["accept"]
    assert of(ev, "status")[0]["tamper"] is True


# --- scripted-runner contract ---------------------------------------------------------------

def test_status_changes_nothing_and_has_typed_fields(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    ev = b.run("token " + credit(5), "load 500", "advance 100")
    assert of(ev, "status") == []  # only in answer to `status`
    # every start saves (its power-up): `status` twice must leave the state files exactly
    # as a start alone does
    alone = Bench(tmp_path / "copy", runtime)
    shutil.copytree(b.dir, alone.dir)
    alone.run()
    ev = b.run("status", "status")
    files = {n: open(os.path.join(b.dir, n), "rb").read() for n in os.listdir(b.dir)}
    assert files == {n: open(os.path.join(alone.dir, n), "rb").read()
                     for n in os.listdir(alone.dir)}
    a, c = of(ev, "status")
    assert a == c and [e["event"] for e in ev] == ["relay", "display", "status", "status"]
    types = {"credit_kwh": (int, float), "relay": bool, "lockout_s": int, "tamper": bool,
             "krn": int, "kt": int, "ti": str, "ea": str, "base_date": int, "tids": list}
    for key, typ in types.items():
        assert isinstance(a[key], typ) and not (typ is int and isinstance(a[key], bool)), key
    assert all(isinstance(t, int) for t in a["tids"])
    assert (a["ti"], a["ea"], a["base_date"]) == ("01", "07", 2014)


def test_one_result_per_finished_entry(tmp_path, runtime):
    t = credit(4)
    ev = Bench(tmp_path, runtime).run("keys 0#1#22#", "keys " + t + "#2#", "keys #", "keys *",
                                      "keys **", "keys 1234#", "keys 12", "keys 3#")
    res = of(ev, "result")
    assert codes(ev) == ["short_code"] * 3 + ["accept", "short_code", "format", "short_code"]
    assert [r.get("code") for r in res] == [0, 1, 22, None, 2, None, 123]
    assert res[4]["show"] == ["Last token", "OK 4.0 kWh"]


def test_more_bad_lines_each_one_error_nothing_half_done(tmp_path, runtime):
    bad = ["load 250001", "keys", "keys 12 34", "keys 12x#", "token 1234567890123456789a",
           "token " + credit(1) + "0", "advance 1.5", "advance -3", "status now",
           "power-cycle now", "TOKEN " + credit(1), "load"]
    ev = Bench(tmp_path, runtime).run_bad(*bad, "keys 3#", "status")
    assert len(of(ev, "error")) == len(bad)
    assert codes(ev) == ["short_code"] and of(ev, "result")[0]["code"] == 3  # no stray digits
    st = of(ev, "status")[0]
    assert st["load_w"] == 0 and st["credit_kwh"] == 0 and st["time"] == "2024-06-01T00:00:00Z"
