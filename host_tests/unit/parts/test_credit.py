"""Credit (stsmeter/credit.py): registers, limits, emergency credit, debit-ahead chunks,
seconds left, the record. Plain asserts: runs in CPython (pytest) and MicroPython
(unit/parts/run.py)."""

from stsmeter.credit import ELECTRICITY, FOREVER, GAS, J_PER_WH, WATER, Credit

WH = J_PER_WH  # joules in one Wh


def loaded(kwh_tenths, **kw):
    c = Credit(**kw)
    assert c.add(ELECTRICITY, kwh_tenths)
    return c


def test_a_token_adds_100_wh_per_tenth():
    c = Credit()
    assert c.wh == 0
    assert c.add(ELECTRICITY, 50) is True
    assert c.wh == 5000
    assert c.add(ELECTRICITY, 1) is True
    assert c.wh == 5100


def test_water_and_gas_registers_are_separate():
    c = Credit()
    assert c.add(WATER, 7) and c.add(GAS, 3) and c.add(WATER, 1)
    assert (c.wh, c.water, c.gas) == (0, 8, 3)


def test_electricity_limit_reached_exactly_then_overflow_changes_nothing():
    c = Credit(limit_wh=1000)
    assert c.add(ELECTRICITY, 10)
    assert c.wh == 1000
    assert c.add(ELECTRICITY, 1) is False
    assert c.wh == 1000
    c2 = Credit(limit_wh=1000)
    assert c2.add(ELECTRICITY, 11) is False  # one token past the limit: all refused
    assert c2.wh == 0


def test_unit_register_limits_are_per_register():
    c = Credit(limit_units=10)
    assert c.add(WATER, 10)
    assert c.add(WATER, 1) is False
    assert c.water == 10
    assert c.add(GAS, 10)  # gas has its own room
    assert c.add(GAS, 1) is False
    assert (c.water, c.gas) == (10, 10)


def test_default_limits_are_999999_9_units():
    c = Credit()
    assert c.add(ELECTRICITY, 9999999) and c.wh == 999999900
    assert c.add(ELECTRICITY, 1) is False
    assert c.add(WATER, 9999999) and c.add(WATER, 1) is False


def test_low_credit_is_strictly_below_the_low_level():
    c = Credit(low_wh=2000)
    assert c.low()
    c.add(ELECTRICITY, 20)
    assert not c.low()  # 2000 Wh is not below 2000
    c.consume(WH)  # 1 Wh used
    assert c.wh == 1999 and c.low()


def test_emergency_credit_once_while_low_then_repaid_first():
    c = Credit(low_wh=2000, emergency_wh=5000)
    assert c.take_emergency() is True
    assert (c.wh, c.owed_wh) == (5000, 5000)
    c.consume(4000 * WH)
    assert c.wh == 1000 and c.low()
    assert c.take_emergency() is False  # owed already: not twice
    assert c.wh == 1000
    assert c.add(ELECTRICITY, 30)  # 3000 Wh, all repaying
    assert (c.wh, c.owed_wh) == (1000, 2000)
    assert c.add(ELECTRICITY, 30)  # 2000 repaid, 1000 credited
    assert (c.wh, c.owed_wh) == (2000, 0)


def test_emergency_credit_refused_when_not_low_or_disabled():
    c = loaded(20, low_wh=2000)
    assert c.take_emergency() is False
    assert (c.wh, c.owed_wh) == (2000, 0)
    off = Credit(emergency_wh=0)
    assert off.low() and off.take_emergency() is False
    assert off.wh == 0


def test_emergency_credit_owed_leaves_room_at_the_limit():
    """A token may bring the register to the limit plus what it repays."""
    c = Credit(limit_wh=10000, low_wh=2000, emergency_wh=5000)
    assert c.take_emergency()
    assert c.add(ELECTRICITY, 100)  # 10000 Wh: 5000 repaid, 5000 + 5000 = the limit
    assert (c.wh, c.owed_wh) == (10000, 0)
    assert c.add(ELECTRICITY, 1) is False


def test_clear_electricity_forgets_owed_and_chunk_but_not_water():
    c = Credit(low_wh=2000, emergency_wh=5000)
    c.add(WATER, 4)
    c.take_emergency()
    c.consume(10)
    assert c.reserved_wh and c.frac_j == 10
    c.clear(ELECTRICITY)
    assert (c.wh, c.frac_j, c.owed_wh, c.reserved_wh, c.water) == (0, 0, 0, 0, 4)
    c.add(GAS, 2)
    c.clear(WATER)
    assert (c.water, c.gas) == (0, 2)
    c.clear(GAS)
    assert c.gas == 0


def test_no_energy_reserves_nothing():
    c = loaded(10)
    assert c.consume(0) is False
    assert c.reserved_wh == 0


def test_energy_starting_reserves_a_chunk_and_asks_for_a_save():
    c = loaded(10, debit_ahead_wh=100)  # 1000 Wh
    assert c.consume(1) is True
    assert (c.wh, c.reserved_wh, c.frac_j) == (1000, 100, 1)
    assert c.consume(WH - 1) is False  # 1 Wh billed, inside the chunk
    assert (c.wh, c.reserved_wh, c.frac_j, c.used_wh) == (999, 99, 0, 1)
    assert c.consume(98 * WH) is False
    assert (c.wh, c.reserved_wh) == (901, 1)
    assert c.consume(WH) is True  # chunk used up: the next one, and a save
    assert (c.wh, c.reserved_wh, c.used_wh) == (900, 100, 100)


def test_a_big_step_reserves_up_to_the_next_chunk_boundary():
    c = loaded(10, debit_ahead_wh=100)
    assert c.consume(250 * WH) is True
    assert (c.wh, c.used_wh, c.reserved_wh) == (750, 250, 50)  # the chunk 200..300


def test_the_chunk_is_never_more_than_the_credit():
    c = loaded(1, debit_ahead_wh=300)  # 100 Wh
    c.consume(1)
    assert c.reserved_wh == 100


def test_credit_running_out_stops_billing_and_keeps_under_one_wh_pending():
    c = loaded(1)  # 100 Wh
    assert c.consume(250 * WH) is True
    assert (c.wh, c.used_wh, c.reserved_wh) == (0, 100, 0)
    assert c.frac_j == WH - 1
    assert c.consume(10 * WH) is False  # nothing left to bill, nothing to save
    assert (c.wh, c.used_wh, c.frac_j) == (0, 100, WH - 1)


def test_lifetime_energy_wraps_at_2_to_the_30():
    c = loaded(10)
    c.used_wh = 0x3FFFFFFF
    c.consume(WH)
    assert c.used_wh == 0


def test_seconds_left():
    c = loaded(10)  # 1000 Wh
    assert c.seconds_left(1000) == 3600
    assert c.seconds_left(0) == FOREVER
    assert c.seconds_left(1000, floor_wh=500) == 1800
    assert c.seconds_left(1000, floor_wh=1000) == 0
    assert c.seconds_left(1000, floor_wh=2000) == 0
    c.consume(1)  # 1 J pending: 3599.999 s, rounded up
    assert c.seconds_left(1000) == 3600
    c.consume(WH)  # 1 Wh + 1 J used: 999 Wh less 1 J, at 7 W: 513771.29 s, rounded up
    assert c.seconds_left(7) == 513772
    assert Credit().seconds_left(100) == 0


def test_seconds_left_far_off_is_forever():
    c = Credit()
    c.add(ELECTRICITY, 9999999)
    assert c.seconds_left(1) == FOREVER
    assert c.seconds_left(1) < 1 << 30


def test_record_round_trip():
    c = Credit(low_wh=2000, emergency_wh=5000)
    c.take_emergency()
    c.add(WATER, 12)
    c.add(GAS, 34)
    c.consume(2000 * WH)  # chunk used up exactly: a new one reserved
    c.consume(5)
    c2 = Credit()
    buf = bytearray(Credit.SIZE)
    c.save(buf, 0)
    c2.load(buf, 0)
    assert Credit.SIZE == 22
    r = c.reserved_wh
    assert r == 100
    assert (c2.wh, c2.frac_j, c2.water, c2.gas, c2.owed_wh, c2.used_wh, c2.reserved_wh) == (
        c.wh - r, 0, 12, 34, 5000, c.used_wh + r, 0)


def test_record_without_a_chunk_keeps_the_pending_joules():
    c = loaded(10)
    c.consume(WH + 7)
    c.consume(99 * WH)  # the first chunk used up: 100 Wh, the next one reserved
    c.reserved_wh = 0  # as a loaded record is
    buf = bytearray(Credit.SIZE + 3)
    c.save(buf, 3)
    c2 = Credit()
    c2.load(buf, 3)
    assert (c2.wh, c2.frac_j, c2.used_wh) == (900, 7, 100)


def test_a_power_cut_costs_at_most_the_unspent_chunk():
    """Saved at any instant, the record's credit plus what was used is the credit bought,
    and it is below the RAM credit by less than one chunk."""
    c = loaded(10, debit_ahead_wh=100)
    buf = bytearray(Credit.SIZE)
    for step in (1, WH // 2, 3 * WH, 77 * WH, 150 * WH, 999, 400 * WH):
        c.consume(step)
        c.save(buf, 0)
        c2 = Credit()
        c2.load(buf, 0)
        assert c2.wh + c2.used_wh == 1000
        assert 0 <= c.wh - c2.wh <= 100
