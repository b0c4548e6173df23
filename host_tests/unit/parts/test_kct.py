"""KeyChange (stsmeter/kct.py): the key change sections held, the sections a key needs,
the timeout that drops a partial set, clear, the record. Plain asserts: runs in CPython
(pytest) and MicroPython (run.py)."""

from stsmeter.kct import KeyChange


def holding(key_bytes, mask, started, timeout_s=600):
    k = KeyChange(key_bytes, timeout_s)
    k.mask, k.started = mask, started
    for i in range(24):
        k.sections[i] = i + 1
    return k


def test_sections_needed_by_key_size():
    assert KeyChange(8).need == 0b0011  # 64-bit key: sections 1 and 2
    assert KeyChange(16).need == 0b1111  # 128-bit key: sections 1 to 4


def test_a_new_buffer_holds_nothing():
    k = KeyChange(16)
    assert k.mask == 0 and k.received() == [] and bytes(k.sections) == bytes(24)


def test_received_lists_section_numbers():
    assert holding(16, 0b0101, 0).received() == [1, 3]
    assert holding(16, 0b1111, 0).received() == [1, 2, 3, 4]
    assert holding(8, 0b0010, 0).received() == [2]


def test_expire_drops_a_partial_set_at_the_timeout():
    k = holding(16, 0b0011, 100, timeout_s=600)
    assert k.expire(699) is False and k.mask == 0b0011
    assert k.expire(700) is True
    assert k.mask == 0 and bytes(k.sections) == bytes(24)
    assert k.expire(5000) is False  # nothing left to drop


def test_expire_with_nothing_held_does_nothing():
    k = KeyChange(8, timeout_s=10)
    k.started = 0
    assert k.expire(10 ** 6) is False


def test_clear_forgets_the_sections():
    k = holding(8, 0b0001, 50)
    k.clear()
    assert k.mask == 0 and k.received() == [] and bytes(k.sections) == bytes(24)


def test_record_round_trip():
    k = holding(16, 0b1011, 123456)
    assert KeyChange.SIZE == 5 + 24
    buf = bytearray(KeyChange.SIZE + 3)
    k.save(buf, 3)
    k2 = KeyChange(16)
    k2.load(buf, 3)
    assert (k2.mask, k2.started) == (0b1011, 123456)
    assert bytes(k2.sections) == bytes(range(1, 25))
    assert k2.received() == [1, 2, 4]


def test_record_keeps_the_timeout_running_across_a_restart():
    k = holding(8, 0b0001, 1000, timeout_s=600)
    buf = bytearray(KeyChange.SIZE)
    k.save(buf, 0)
    k2 = KeyChange(8, timeout_s=600)
    k2.load(buf, 0)
    assert k2.expire(1599) is False
    assert k2.expire(1600) is True and k2.mask == 0


def test_record_saves_a_negative_time_as_0():
    k = holding(8, 0b0001, -30)
    buf = bytearray(KeyChange.SIZE)
    k.save(buf, 0)
    k2 = KeyChange(8)
    k2.load(buf, 0)
    assert k2.started == 0
