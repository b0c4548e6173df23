"""Token acceptance scenarios (issue 3 rules), each in MicroPython and in CPython."""

import json
import subprocess
import sys

import pytest
from conftest import TOOLS
from meterkit import KEY07, OTHER07, Bench, credit, make, minutes_after_start, of

RUNTIMES = ["micropython", "cpython"]


@pytest.fixture(params=RUNTIMES)
def runtime(request):
    return request.param


def test_credit_accept_then_used(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    t = credit(25.6)
    ev = b.run("token " + t, "token " + t, "status")
    res = of(ev, "result")
    assert res[0]["result"] == "accept" and res[0]["amount"] == 25.6 and res[0]["unit"] == "kWh"
    assert res[1]["result"] == "used"
    st = of(ev, "status")[0]
    assert st["credit_kwh"] == 25.6 and st["relay"] is True
    assert minutes_after_start(60) in st["tids"]


def test_used_across_power_cycle(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    t = credit(10)
    assert b.results("token " + t) == ["accept"]
    assert b.results("power-cycle", "token " + t) == ["used"]
    assert b.status()["credit_kwh"] == 10


def test_old_before_provisioning_and_below_the_store(tmp_path, runtime):
    b = Bench(tmp_path, runtime, settings={"tid_store_size": 50})
    early = credit(1, minutes=-5)  # issued before the meter was provisioned
    newer = [credit(1, minutes=100 + i) for i in range(50)]
    middle = credit(1, minutes=150)  # between stored TIDs after the 50: out of order is fine
    ev = b.run("token " + early, *("token " + t for t in newer), "token " + credit(1, minutes=99),
               "token " + middle, "status")
    codes = [e["result"] for e in of(ev, "result")]
    assert codes[0] == "old"
    assert codes[1:51] == ["accept"] * 50
    assert codes[51] == "old"  # store full of 100..149: 99 is below the smallest
    assert codes[52] == "accept"
    st = of(ev, "status")[0]
    assert len(st["tids"]) == 50 and min(st["tids"]) == minutes_after_start(101)


@pytest.mark.parametrize("entry,detail", [
    ("keys 1234567890123456789#", "19 digits"),
    ("token 99999999999999999999", "value >= 2^66"),
    ("token 73786976294838206463", "class 3 is reserved"),
])
def test_format_errors(tmp_path, runtime, entry, detail):
    res = of(Bench(tmp_path, runtime).run(entry), "result")[0]
    assert res["result"] == "format" and detail in res["detail"]


def test_other_meters_token_is_crc(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    assert b.results("token " + credit(5, key=OTHER07)) == ["crc"]
    assert b.status()["credit_kwh"] == 0


def test_key_expired(tmp_path, runtime):
    b = Bench(tmp_path, runtime, ken=(minutes_after_start(0) >> 16))
    late = credit(1, tid=((minutes_after_start(0) >> 16) + 1) << 16)
    assert b.results("token " + credit(1), "token " + late) == ["accept", "key_expired"]


def test_ddtk_refuses_credit_not_management(tmp_path, runtime):
    b = Bench(tmp_path, runtime, key_type=1)
    assert b.results("token " + credit(1), "token " + make("max_power_limit", limit_w=5000)) == [
        "ddtk", "accept"]


def test_function_range_overflow(tmp_path, runtime):
    b = Bench(tmp_path, runtime, settings={"credit_limit_wh": 100000})
    big = credit(99.9, minutes=5)
    over = credit(0.2, minutes=6)
    time_credit = make("time_credit", amount="10", minutes=7)
    currency = make("electricity_currency", amount="10", minutes=8)
    bad_register = make("clear_credit", register=8, minutes=9)
    no_register = make("clear_credit", register=3, minutes=10)
    codes = b.results(*("token " + t for t in (big, over, time_credit, currency, bad_register,
                                               no_register)))
    assert codes == ["accept", "overflow", "function", "function", "range", "function"]
    st = b.status()
    assert st["credit_kwh"] == 99.9
    assert minutes_after_start(6) not in st["tids"]  # overflow: TID not stored
    # the same token goes in once there is room
    assert b.results("token " + make("clear_credit", register="electricity", minutes=11),
                     "token " + over) == ["accept", "accept"]


def test_water_gas_registers_and_clear_credit(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    toks = [credit(3, minutes=1), make("water_credit", amount="1.5", minutes=2),
            make("gas_credit", amount="2.5", minutes=3)]
    ev = b.run(*("token " + t for t in toks), "status")
    st = of(ev, "status")[0]
    assert (st["credit_kwh"], st["water_m3"], st["gas_m3"]) == (3, 1.5, 2.5)
    assert [e["unit"] for e in of(ev, "result")] == ["kWh", "m3", "m3"]
    b.run("token " + make("clear_credit", register="water", minutes=4))
    st = b.status()
    assert (st["credit_kwh"], st["water_m3"], st["gas_m3"]) == (3, 0, 2.5)
    b.run("token " + make("clear_credit", register="all", minutes=5))
    st = b.status()
    assert (st["credit_kwh"], st["water_m3"], st["gas_m3"], st["relay"]) == (0, 0, 0, False)


def test_management_fields_stored_and_shown(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    toks = [make("max_power_limit", limit_w=4000, minutes=1),
            make("max_phase_power_unbalance_limit", limit_w=300, minutes=2),
            make("tariff_rate", rate=1234, minutes=3), make("water_meter_factor", factor=77,
                                                           minutes=4)]
    ev = b.run(*("token " + t for t in toks), "keys 5#", "keys 13#", "power-cycle", "status")
    st = of(ev, "status")[0]
    assert (st["mpl_w"], st["mppul_w"], st["tariff_rate"], st["water_meter_factor"]) == (
        4000, 300, 1234, 77)
    shorts = [e for e in of(ev, "result") if e["result"] == "short_code"]
    assert shorts[0]["mpl_w"] == 4000 and shorts[1]["tariff_rate"] == 1234


def test_class1_test_tokens(tmp_path, runtime):
    b = Bench(tmp_path, runtime, mfr_code="07")
    mine = make("test_display_1", control=0b111, mfr_code=7)
    other = make("test_display_1", control=1, mfr_code=8)
    four = make("test_display_2", control=1, mfr_code=7)
    ev = b.run("token " + mine, "token " + mine, "token " + other, "token " + four)
    res = of(ev, "result")
    assert [r["result"] for r in res] == ["accept", "accept", "mfr_code", "accept"]
    assert res[0]["tests"] == ["relay", "display", "registers"]
    assert res[3]["tests"] == ["relay"]


def test_class1_relay_test_opens_briefly(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    ev = b.run("token " + credit(5), "token " + make("test_display_1", control=1, mfr_code=7),
               "advance 10")
    relay = [(e["closed"], e["reason"]) for e in of(ev, "relay")]
    assert relay == [(True, "credit"), (False, "test"), (True, "test")]


def test_status_changes_nothing(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    ev = b.run("token " + credit(5), "status", "status")
    a, c = of(ev, "status")
    assert a == c
    assert [e["event"] for e in ev[-2:]] == ["status", "status"]
    for key in ("credit_kwh", "relay", "lockout_s", "tamper", "krn", "kt", "ti", "ea",
                "base_date", "tids"):
        assert key in a


def test_bad_script_lines_give_errors_and_go_on(tmp_path, runtime):
    ev = Bench(tmp_path, runtime).run_bad("frobnicate", "keys 12x#", "token 123", "load -5",
                                          "advance", "token " + credit(2))
    assert [e["detail"].split(":")[0] for e in of(ev, "error")] == [
        "unknown command frobnicate", "keys takes", "a token is 20 digits", "load takes",
        "advance takes"]
    assert of(ev, "result")[0]["result"] == "accept"


def test_a_token_issued_in_the_provisioning_minute_is_taken(tmp_path, runtime):
    """The TID memory of a new meter holds the minute before its provisioning minute:
    a token issued in the provisioning minute or later is taken, an earlier one is Old
    (also the one of the minute just before: the fill value is no used token)."""
    b = Bench(tmp_path, runtime)
    at, before, long_before = credit(1, minutes=0), credit(2, minutes=-1), credit(3, minutes=-2)
    assert b.results("token " + before, "token " + long_before, "token " + at,
                     "token " + at) == ["old", "old", "accept", "used"]
    assert b.results("power-cycle", "token " + before, "token " + at) == ["old", "used"]
    assert b.status()["credit_kwh"] == 1


def test_provision_then_generate_now_then_type_it(tmp_path):
    """A user's first minute: provision.py, sts.py generate (issued now), sim.py: taken."""
    meter = tmp_path / "m.json"
    run = [sys.executable]
    subprocess.run(run + [str(TOOLS / "provision.py"), "-o", str(meter), "--key", KEY07,
                          "--pan", "600727000000000009"], check=True, capture_output=True)
    gen = subprocess.run(run + [str(TOOLS / "sts.py"), "generate", "--amount", "10", "--key",
                                KEY07], check=True, capture_output=True, text=True)
    token = gen.stdout.split()[0]
    for runtime in RUNTIMES:
        sim = subprocess.run(run + [str(TOOLS / "sim.py"), "--meter", str(meter), "--state",
                                    str(tmp_path / runtime), "--script", "-", "--runtime",
                                    runtime],
                             input="token %s\n" % token, capture_output=True, text=True)
        res = [json.loads(line) for line in sim.stdout.splitlines()]
        assert [e["result"] for e in of(res, "result")] == ["accept"], sim.stdout + sim.stderr
