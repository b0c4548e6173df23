"""Keypad entry, short codes and the progressive lockout, in MicroPython and CPython."""

import re

import pytest
from meterkit import OTHER07, Bench, credit, make, of


@pytest.fixture(params=["micropython", "cpython"])
def runtime(request):
    return request.param


def test_backspace_and_clear(tmp_path, runtime):
    t = credit(7)
    b = Bench(tmp_path, runtime)
    # a wrong last digit, backspace, the right one; then "**" wipes a half-typed entry
    ev = b.run("keys " + t[:19] + "9*" + t[19] + "#", "keys 1234**", "keys 0#")
    res = of(ev, "result")
    assert res[0]["result"] == "accept"
    assert res[1]["result"] == "short_code" and res[1]["code"] == 0


def test_long_star_clears(tmp_path, runtime):
    ev = Bench(tmp_path, runtime).run("keys 12345C", "keys 8#")
    assert of(ev, "result")[0]["code"] == 8


def test_entry_display_groups_digits_with_count(tmp_path, runtime):
    ev = Bench(tmp_path, runtime).run("keys 123456789012345678")
    assert of(ev, "display")[-1]["lines"] == ["1234 5678 9012", "3456 78     (18)"]


def test_20_second_gap_cancels_entry(tmp_path, runtime):
    t = credit(3)
    ev = Bench(tmp_path, runtime).run("keys " + t[:10], "advance 20", "keys " + t[10:] + "#")
    assert of(ev, "entry")[0]["state"] == "timeout"
    assert of(ev, "result")[0]["result"] == "format"  # only the last 10 digits were left
    ev = Bench(tmp_path / "b", runtime).run("keys " + t[:10], "advance 19", "keys " + t[10:] + "#")
    assert of(ev, "result")[0]["result"] == "accept"


def test_21st_digit_ignored(tmp_path, runtime):
    t = credit(3)
    assert Bench(tmp_path, runtime).results("keys " + t + "5#") == ["accept"]


@pytest.mark.parametrize("code,field", [
    (0, "credit_kwh"), (1, "load_w"), (2, "last_result"), (3, "pan"), (4, "krn"),
    (5, "mpl_w"), (6, "lockout_s"), (7, "tamper"), (8, "version"), (9, "owed_kwh"),
    (10, "events"), (11, "water_m3"), (12, "gas_m3"), (13, "tariff_rate"), (99, "given_kwh")])
def test_short_codes(tmp_path, runtime, code, field):
    ev = Bench(tmp_path, runtime).run("token " + credit(12.5), "keys %d#" % code)
    res = of(ev, "result")[-1]
    assert res["result"] == "short_code" and res["code"] == code and field in res
    assert len(res["show"]) == 2 and all(len(line) <= 16 for line in res["show"])


def test_short_code_values(tmp_path, runtime):
    ev = Bench(tmp_path, runtime).run("token " + credit(12.5), "load 800", "keys 0#",
                                      "keys 1#", "keys 2#", "keys 3#", "keys 4#", "keys 777#")
    res = [r for r in of(ev, "result") if r["result"] == "short_code"]
    assert res[0]["show"] == ["Credit", "12.5 kWh"]
    assert res[1]["load_w"] == 800
    assert res[2]["show"] == ["Last token", "OK 12.5 kWh"]
    assert res[3]["show"] == ["Meter number", "0000 0000 000"]  # PAN 600727 00000000000 9
    assert (res[4]["krn"], res[4]["kt"], res[4]["ti"], res[4]["ea"], res[4]["base_date"]) == (
        1, 2, "01", "07", 2014)
    assert res[5]["known"] is False


def test_progressive_lockout(tmp_path, runtime):
    bad = credit(1, key=OTHER07)
    b = Bench(tmp_path, runtime)
    ev = b.run(*["token " + bad] * 3, "status", "token " + credit(1), "advance 10",
               "token " + bad, "status", "advance 20", "token " + bad, "status")
    res = of(ev, "result")
    assert [r["result"] for r in res] == ["crc", "crc", "crc", "locked", "crc", "crc"]
    assert res[2]["lockout_s"] == 10
    st = of(ev, "status")
    assert [s["lockout_s"] for s in st] == [10, 20, 40]


def test_lockout_caps_and_survives_power_cycle(tmp_path, runtime):
    bad = credit(1, key=OTHER07)
    b = Bench(tmp_path, runtime, settings={"lockout_base_s": 10, "lockout_max_s": 80})
    script = []
    for _ in range(8):
        script += ["token " + bad, "advance 100"]
    b.run(*script)
    ev = b.run("token " + bad, "power-cycle", "status", "token " + credit(1))
    assert of(ev, "status")[0]["lockout_s"] == 80
    assert [r["result"] for r in of(ev, "result")] == ["crc", "locked"]


def test_format_errors_count_used_old_do_not(tmp_path, runtime):
    t = credit(1)
    b = Bench(tmp_path, runtime)
    ev = b.run("token " + t, "token " + t, "token " + t, "token " + t,
               "token " + credit(1, minutes=-10), "keys 12345#", "keys 123456#", "status")
    assert of(ev, "status")[0]["lockout_s"] == 0 and of(ev, "status")[0]["bad_entries"] == 2
    ev = b.run("keys 1234567#", "status")
    assert of(ev, "status")[0]["lockout_s"] == 10


def test_lockout_allows_class1_and_short_codes_and_resets_on_accept(tmp_path, runtime):
    bad = credit(1, key=OTHER07)
    b = Bench(tmp_path, runtime)
    ev = b.run(*["token " + bad] * 3, "token " + make("test_display_2", control=8, mfr_code=7),
               "keys 6#", "token " + credit(1), "advance 10", "token " + credit(1), "status")
    res = [r["result"] for r in of(ev, "result")]
    assert res == ["crc", "crc", "crc", "accept", "short_code", "locked", "accept"]
    assert of(ev, "status")[0]["bad_entries"] == 0


def test_short_codes_speak_customer_words(tmp_path, runtime):
    b = Bench(tmp_path, runtime)

    def shown(*lines):  # (each run is a power-on: the log's last event then)
        return [r["show"] for r in of(b.run(*lines), "result") if r["result"] == "short_code"]

    assert shown("keys 2#", "keys 7#", "keys 10#") == [
        ["Last token", "No token yet"], ["No tamper", ""], ["Power on", "06-01 00:00  (1)"]]
    assert shown("tamper", "keys 7#", "keys 10#") == [
        ["Tamper: cover", "Call supplier"], ["Tamper: cover", "06-01 00:00  (3)"]]
    assert shown("token " + credit(2), "keys 10#", "keys 2#") == [
        ["Token Accepted", "06-01 00:00  (5)"], ["Last token", "OK 2.0 kWh"]]
    assert shown("token " + make("clear_tamper", minutes=61), "keys 7#", "keys 10#") == [
        ["No tamper", ""], ["Supply on", "06-01 00:00  (9)"]]
