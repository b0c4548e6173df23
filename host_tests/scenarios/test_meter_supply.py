"""Energy, credit and relay: spending, low credit, emergency credit, over-power trips."""

import pytest
from meterkit import Bench, credit, make, of


@pytest.fixture(params=["micropython", "cpython"])
def runtime(request):
    return request.param


def test_credit_spent_relay_opens_at_zero_and_closes_again(tmp_path, runtime):
    b = Bench(tmp_path, runtime, settings={"low_credit_wh": 0})
    ev = b.run("token " + credit(1), "load 1000", "advance 1800", "status", "advance 3600",
               "status", "token " + credit(2, minutes=61), "status")
    st = of(ev, "status")
    assert st[0]["credit_kwh"] == 0.5 and st[0]["relay"] is True
    assert st[1]["credit_kwh"] == 0 and st[1]["relay"] is False
    assert st[2]["credit_kwh"] == 2 and st[2]["relay"] is True
    relay = [(e["closed"], e["reason"]) for e in of(ev, "relay")]
    # an unpowered relay is open: power-on with no credit is no change
    assert relay == [(True, "credit"), (False, "credit"), (True, "credit")]


def test_no_consumption_while_open(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    ev = b.run("load 3000", "advance 100000", "token " + credit(1), "status")
    assert of(ev, "status")[0]["credit_kwh"] == 1


def test_consumption_exact_to_the_wh(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    ev = b.run("token " + credit(10), "load 2500", "advance 7", "status", "advance 1433",
               "status", "load 0", "advance 100000", "status")
    st = of(ev, "status")
    # 2500 W x 7 s = 17500 J = 4 Wh billed (+3100 J pending); 1440 s = 3600000 J = 1 kWh
    assert [s["credit_kwh"] for s in st] == [9.996, 9, 9]


def test_low_credit_warning_once_each_way(tmp_path, runtime):
    b = Bench(tmp_path, runtime, settings={"low_credit_wh": 1000})
    ev = b.run("token " + credit(2), "load 1000", "advance 3599", "advance 2", "advance 10",
               "token " + credit(5, minutes=61))
    warn = [(w["active"], w["warning"]) for w in of(ev, "warning")]
    assert warn == [(False, "low_credit"), (True, "low_credit"), (False, "low_credit")]


def test_emergency_credit_once_and_repaid(tmp_path, runtime):
    b = Bench(tmp_path, runtime, settings={"low_credit_wh": 2000, "emergency_credit_wh": 3000})
    ev = b.run("keys 99#", "token " + credit(1), "keys 99#", "keys 99#", "status",
               "token " + credit(5, minutes=61), "status", "keys 9#")
    res = [r for r in of(ev, "result") if r["result"] == "short_code"]
    assert res[0]["given_kwh"] == 3  # credit 0 is low: allowed
    assert res[1]["given_kwh"] == 0 and res[2]["given_kwh"] == 0  # once only, until repaid
    st = of(ev, "status")
    # the 1 kWh token went to repay: 3 kWh left, 2 still owed
    assert st[0]["credit_kwh"] == 3 and st[0]["emergency_owed_kwh"] == 2
    assert st[1]["credit_kwh"] == 6 and st[1]["emergency_owed_kwh"] == 0


def test_overpower_trip_reconnect_and_backoff(tmp_path, runtime):
    b = Bench(tmp_path, runtime, settings={"overload_s": 5, "trip_delay_s": 30,
                                           "trip_delay_max_s": 120, "trip_calm_s": 600})
    ev = b.run("token " + credit(100), "token " + make("max_power_limit", limit_w=3000,
                                                          minutes=61),
               "load 2000", "advance 60", "load 4000", "advance 4", "status", "advance 1",
               "status", "advance 30", "status", "advance 5", "advance 60", "status",
               "advance 5", "advance 120", "advance 5", "advance 120", "status")
    st = of(ev, "status")
    assert st[0]["relay"] is True  # 4 s over the limit: not yet
    assert st[1]["relay"] is False and st[1]["tripped"] and st[1]["trips"] == 1
    assert st[2]["relay"] is True  # reconnected after 30 s
    assert st[3]["trips"] == 2 and st[3]["relay"] is True  # tripped again, back after 60 s
    assert st[4]["trips"] == 4  # the delay stops doubling at 120 s
    reasons = [(e["closed"], e["reason"]) for e in of(ev, "relay")][1:4]
    assert reasons == [(False, "overpower"), (True, "overpower"), (False, "overpower")]


def test_trips_forgotten_after_calm(tmp_path, runtime):
    b = Bench(tmp_path, runtime, settings={"overload_s": 1, "trip_delay_s": 10,
                                           "trip_calm_s": 100})
    ev = b.run("token " + credit(50), "token " + make("max_power_limit", limit_w=1000,
                                                         minutes=61),
               "load 2000", "advance 1", "load 500", "advance 10", "status", "advance 100",
               "status")
    st = of(ev, "status")
    assert st[0]["trips"] == 1 and st[0]["relay"] is True
    assert st[1]["trips"] == 0


def test_tamper_input_opens_until_clear_tamper(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    ev = b.run("token " + credit(5), "tamper", "status", "power-cycle", "status",
               "token " + make("clear_tamper", minutes=61), "status")
    st = of(ev, "status")
    assert st[0]["tamper"] is True and st[0]["relay"] is False
    assert st[1]["tamper"] is True and st[1]["relay"] is False  # persisted
    assert st[2]["tamper"] is False and st[2]["relay"] is True
    assert (False, "tamper") in [(e["closed"], e["reason"]) for e in of(ev, "relay")]


def test_energy_from_pulses(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    assert b.run("token " + credit(2), "energy 500", "status")[-1]["credit_kwh"] == 1.5


def test_relay_never_reported_twice_in_a_row(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    ev = b.run("token " + credit(1), "token " + credit(1, minutes=61), "load 1000",
               "advance 10000", "tamper", "token " + credit(1, minutes=62),
               "token " + make("clear_tamper", minutes=63), "advance 10000")
    states = [e["closed"] for e in of(ev, "relay")]
    assert all(a != b for a, b in zip(states, states[1:]))


def test_emergency_credit_repaid_is_shown(tmp_path, runtime):
    b = Bench(tmp_path, runtime, settings={"low_credit_wh": 2000, "emergency_credit_wh": 5000})
    ev = b.run("keys 99#", "token " + credit(10))
    accept = [r for r in of(ev, "result") if r["result"] == "accept"][0]
    assert accept["repaid_kwh"] == 5
    assert ["Accept 10.0 kWh", "Repaid 5.0 kWh"] in [d["lines"] for d in of(ev, "display")]
    assert b.status()["credit_kwh"] == 10  # 5 given, 5 repaid of the 10
    plain = b.run("token " + credit(1, minutes=61))  # nothing owed: the credit is shown
    assert "repaid_kwh" not in of(plain, "result")[0]
    assert ["Accept 1.0 kWh", "Credit 11.0 kWh"] in [d["lines"] for d in of(plain, "display")]
