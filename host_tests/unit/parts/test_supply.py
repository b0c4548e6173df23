"""Supply (stsmeter/supply.py): the maximum power limit, the overload time before a trip,
reconnection delays growing per trip up to a maximum, the calm period that forgets the
trips, the record. Plain asserts: runs in CPython (pytest) and MicroPython (run.py)."""

from stsmeter.supply import Supply

OVER, UNDER = 1001, 1000  # with an MPL of 1000 W


def limited(**kw):
    s = Supply(**kw)
    s.mpl_w = 1000
    return s


def trip(s, at):
    """Overload from `at` until it trips; returns the time of the trip."""
    t = at
    while not s.update(t, OVER, True):
        t += 1
        assert t - at <= s.overload_s, "no trip"
    return t


def test_no_limit_never_trips():
    s = Supply()
    assert s.mpl_w == 0 and not s.overloaded(10 ** 6)
    for t in range(0, 100, 5):
        assert s.update(t, 10 ** 6, True) is False
    assert s.trips == 0 and not s.tripped(100)
    assert s.next_change(100, 10 ** 6, True) is None


def test_overloaded_means_above_the_limit():
    s = limited()
    assert not s.overloaded(UNDER)
    assert s.overloaded(OVER)


def test_overload_trips_after_overload_s():
    s = limited()
    assert s.update(0, OVER, True) is False
    assert s.update(4, OVER, True) is False
    assert s.update(5, OVER, True) is True
    assert s.trips == 1 and s.reconnect_at == 35
    assert s.tripped(5) and s.tripped(34) and not s.tripped(35)
    assert s.update(6, OVER, True) is False  # tripped: no second trip meanwhile
    assert s.trips == 1


def test_overload_must_last_the_whole_time():
    s = limited()
    s.update(0, OVER, True)
    s.update(3, UNDER, True)  # a dip resets the measurement
    assert s.update(4, OVER, True) is False
    assert s.update(8, OVER, True) is False
    assert s.update(9, OVER, True) is True


def test_no_supply_restarts_the_measurement():
    s = limited()
    s.update(0, OVER, True)
    assert s.update(3, OVER, False) is False  # relay open (no credit): no trip
    assert s.update(4, OVER, True) is False
    assert s.update(8, OVER, True) is False
    assert s.update(9, OVER, True) is True


def test_delays_double_per_trip_up_to_the_maximum():
    s = limited()
    delays = []
    t = 0
    for _ in range(9):
        t = trip(s, t)
        delays.append(s.reconnect_at - t)
        t = s.reconnect_at
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 1920, 1920]


def test_delay_capped_at_a_maximum_that_is_no_doubling():
    s = Supply(delay_s=30, delay_max_s=100)
    got = []
    for trips in range(1, 6):
        s.trips = trips
        got.append(s.delay())
    assert got == [30, 60, 100, 100, 100]


def test_trips_count_up_to_255():
    s = limited()
    s.trips = 255
    t = trip(s, 0)
    assert s.trips == 255 and s.reconnect_at - t == 1920


def test_calm_period_forgets_the_trips():
    s = limited()
    trip(s, 0)  # trips at 5, back at 35
    assert s.update(35, UNDER, True) is False
    assert s.next_change(100, UNDER, True) == 535
    s.update(634, UNDER, True)
    assert s.trips == 1
    s.update(635, UNDER, True)
    assert s.trips == 0
    assert s.next_change(636, UNDER, True) is None
    t = trip(s, 700)  # a first trip again: the shortest delay
    assert s.reconnect_at - t == 30


def test_an_overload_interrupts_the_calm_period():
    s = limited()
    trip(s, 0)
    s.update(35, UNDER, True)
    s.update(600, OVER, True)  # overloaded for 2 s: no trip, but not calm either
    s.update(602, UNDER, True)  # calm from 602
    s.update(1201, UNDER, True)
    assert s.trips == 1
    s.update(1202, UNDER, True)
    assert s.trips == 0


def test_the_calm_period_needs_supply():
    s = limited()
    trip(s, 0)
    s.update(35, UNDER, True)
    s.update(300, UNDER, False)  # relay open: the calm period starts again
    s.update(301, UNDER, True)
    s.update(900, UNDER, True)
    assert s.trips == 1
    s.update(901, UNDER, True)
    assert s.trips == 0


def test_next_change():
    s = limited()
    assert s.next_change(0, UNDER, True) is None  # nothing due
    assert s.next_change(0, OVER, True) == 5  # not measured yet: the whole overload time
    s.update(10, OVER, True)
    assert s.next_change(12, OVER, True) == 3
    assert s.next_change(12, OVER, False) is None  # not supplying
    s.update(15, OVER, True)
    assert s.next_change(20, OVER, False) == 25  # tripped: the reconnection, supply or not
    s.mpl_w = 0
    assert s.next_change(45, OVER, True) == 600  # calm period, not started yet


def test_record_round_trip():
    s = limited()
    s.mppul_w = 250
    s.tariff_rate = 0xBEEF
    s.water_factor = 12345
    trip(s, 100)
    s2 = Supply()
    buf = bytearray(Supply.SIZE + 1)
    s.save(buf, 1)
    s2.load(buf, 1)
    assert Supply.SIZE == 17
    assert (s2.mpl_w, s2.mppul_w, s2.tariff_rate, s2.water_factor, s2.trips,
            s2.reconnect_at) == (1000, 250, 0xBEEF, 12345, 1, 135)


def test_record_keeps_no_timers_and_no_negative_time():
    s = limited()
    s.update(0, OVER, True)  # overloaded since 0: not saved
    s.reconnect_at = -5
    buf = bytearray(Supply.SIZE)
    s.save(buf, 0)
    s2 = Supply()
    s2.load(buf, 0)
    assert s2.reconnect_at == 0
    s2.update(10, OVER, True)  # the measurement starts again after a power cut
    assert s2.update(14, OVER, True) is False
    assert s2.update(15, OVER, True) is True
