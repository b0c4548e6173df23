"""EventLog (stsmeter/eventlog.py): a ring of fixed entries, oldest first, the lifetime
power-up count, the record (also of another size, and one saved before the count existed).
Plain asserts: runs in CPython (pytest) and MicroPython (run.py)."""

from stsmeter.eventlog import (EMERGENCY, KEY_CHANGED, KINDS, POWER_ON, RELAY, TAMPER,
                               TOKEN, EventLog)


def test_kinds_have_names():
    assert KINDS[TOKEN] == "token" and KINDS[RELAY] == "relay"
    assert KINDS[TAMPER] == "tamper" and KINDS[POWER_ON] == "power_on"
    assert KINDS[EMERGENCY] == "emergency_credit" and KINDS[KEY_CHANGED] == "key_changed"


def test_entries_oldest_first():
    g = EventLog(size=4)
    assert g.entries() == [] and g.count == 0
    g.add(10, TOKEN, 0, 50)
    g.add(11, RELAY, 1)
    g.add(12, POWER_ON, value=3)
    assert [tuple(e) for e in g.entries()] == [(10, TOKEN, 0, 50), (11, RELAY, 1, 0),
                                              (12, POWER_ON, 0, 3)]
    assert g.count == 3 and g.head == 3


def test_the_ring_overwrites_the_oldest():
    g = EventLog(size=4)
    for t in range(1, 7):
        g.add(t, TOKEN, t, 100 * t)
    assert g.count == 4 and g.head == 2
    assert [e[0] for e in g.entries()] == [3, 4, 5, 6]
    assert tuple(g.entries()[-1]) == (6, TOKEN, 6, 600)


def test_values_keep_their_range_and_time_is_never_negative():
    g = EventLog(size=2)
    g.add(-5, TAMPER, 255, 0xFFFFFFFF)
    assert tuple(g.entries()[0]) == (0, TAMPER, 255, 0xFFFFFFFF)


def test_record_round_trip_with_power_ups():
    g = EventLog(size=4)
    for t in range(6):
        g.add(1000 + t, RELAY, t & 1, t)
    g.power_ups = 70000
    assert g.record_size() == 3 + 10 * 4 + 4
    buf = bytearray(g.record_size() + 5)
    g.save(buf, 5)
    g2 = EventLog(size=4)
    assert g2.load(buf, 5) == 47
    assert (g2.head, g2.count, g2.power_ups) == (g.head, 4, 70000)
    assert [tuple(e) for e in g2.entries()] == [tuple(e) for e in g.entries()]
    g2.add(2000, TOKEN)  # and the ring goes on where it was
    assert [e[0] for e in g2.entries()] == [1003, 1004, 1005, 2000]


def test_record_of_another_size_keeps_only_the_power_ups():
    g = EventLog(size=3)
    g.add(1, TOKEN)
    g.power_ups = 9
    buf = bytearray(g.record_size())
    g.save(buf, 0)
    g2 = EventLog(size=16)
    assert g2.load(buf, 0) == 3 + 30 + 4  # the saved record's size
    assert g2.count == 0 and g2.entries() == []
    assert g2.power_ups == 9


def test_record_saved_before_the_power_up_count_loads_as_0():
    g = EventLog(size=2)
    g.add(5, TOKEN, 1, 2)
    g.power_ups = 4
    buf = bytearray(g.record_size())
    g.save(buf, 0)
    old = buf[:-4]  # the record as it was before the count
    g2 = EventLog(size=2)
    assert g2.load(old, 0) == g.record_size()
    assert g2.power_ups == 0
    assert [tuple(e) for e in g2.entries()] == [(5, TOKEN, 1, 2)]
