"""Lockout (stsmeter/lockout.py): free attempts, a lockout doubling per rejection up to a
maximum, time remaining (never stretched by a clock set back), reset, the record.
Plain asserts: runs in CPython (pytest) and MicroPython (run.py)."""

from stsmeter.lockout import Lockout


def test_free_attempts_then_a_lockout():
    k = Lockout()
    assert k.reject(100) == 0 and k.reject(100) == 0
    assert k.remaining(100) == 0 and k.until == 0
    assert k.reject(100) == 10
    assert k.until == 110
    assert k.remaining(100) == 10 and k.remaining(105) == 5
    assert k.remaining(110) == 0 and k.remaining(500) == 0


def test_lockout_doubles_up_to_the_maximum():
    k = Lockout()
    got = [k.reject(0) for _ in range(12)]
    assert got == [0, 0, 10, 20, 40, 80, 160, 320, 640, 1280, 1280, 1280]


def test_maximum_that_is_no_doubling_and_other_settings():
    k = Lockout(free=1, base_s=10, max_s=25)
    assert [k.reject(0) for _ in range(5)] == [10, 20, 25, 25, 25]
    k5 = Lockout(free=5, base_s=3, max_s=1000)
    assert [k5.reject(0) for _ in range(7)] == [0, 0, 0, 0, 3, 6, 12]


def test_duration_follows_the_count():
    k = Lockout()
    assert k.duration() == 0
    k.bad = 3
    assert k.duration() == 10
    k.bad = 10
    assert k.duration() == 1280


def test_the_count_stops_at_255():
    k = Lockout()
    for _ in range(300):
        k.reject(0)
    assert k.bad == 255 and k.duration() == 1280


def test_a_clock_set_back_does_not_stretch_it():
    k = Lockout()
    for _ in range(3):
        k.reject(5000)
    assert k.until == 5010
    assert k.remaining(0) == 10  # 5010 s ahead, but one step is 10 s


def test_reset_ends_lockout_and_count():
    k = Lockout()
    for _ in range(5):
        k.reject(0)
    assert k.remaining(0) == 40
    k.reset()
    assert (k.bad, k.until, k.duration(), k.remaining(0)) == (0, 0, 0, 0)
    assert k.reject(1) == 0  # the free attempts again


def test_record_round_trip():
    k = Lockout()
    for _ in range(4):
        k.reject(1000)
    buf = bytearray(Lockout.SIZE + 2)
    k.save(buf, 2)
    k2 = Lockout()
    k2.load(buf, 2)
    assert Lockout.SIZE == 5
    assert (k2.bad, k2.until) == (4, 1020)
    assert k2.remaining(1005) == 15
    assert k2.reject(1005) == 40  # the count goes on after a restart


def test_record_saves_a_negative_time_as_0():
    k = Lockout()
    k.bad, k.until = 3, -7
    buf = bytearray(Lockout.SIZE)
    k.save(buf, 0)
    k2 = Lockout()
    k2.load(buf, 0)
    assert (k2.bad, k2.until) == (3, 0)
