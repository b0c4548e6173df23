"""TidStore (stsmeter/tidstore.py): used and old TIDs, sorted insert, eviction of the
smallest, the provisioning fill, raise_floor, the record (also into a smaller or larger
store). Plain asserts: runs in CPython (pytest) and MicroPython (run.py)."""

from stsmeter.tidstore import MIN_SIZE, TidStore


def refused(size):
    try:
        TidStore(size)
    except ValueError:
        return True
    return False


def with_tids(tids, size=MIN_SIZE):
    s = TidStore(size)
    for t in tids:
        s.insert(t)
    return s


def test_sizes():
    assert MIN_SIZE == 50
    assert refused(49) and refused(256) and refused(0)
    assert not refused(50) and not refused(255)
    assert TidStore().size == 50 and TidStore(77).size == 77


def test_an_empty_store_knows_nothing():
    s = TidStore()
    assert s.count == 0 and s.tids() == []
    assert not s.used(0) and not s.old(0) and not s.old(123456)


def test_inserts_out_of_order_are_kept_sorted():
    s = with_tids([100, 50, 75, 300, 60])
    assert s.tids() == [50, 60, 75, 100, 300]
    assert s.count == 5
    for t in (50, 60, 75, 100, 300):
        assert s.used(t)
    for t in (49, 51, 76, 99, 101, 299, 301):
        assert not s.used(t)


def test_old_is_below_the_smallest():
    s = with_tids([100, 50, 75])
    assert s.old(49) and s.old(0)
    assert not s.old(50) and not s.old(51) and not s.old(1000)


def test_24_bit_tids():
    s = with_tids([0xFFFFFF, 0, 0x800000, 0x00FFFF])
    assert s.tids() == [0, 0x00FFFF, 0x800000, 0xFFFFFF]
    assert s.used(0xFFFFFF) and s.used(0) and not s.used(0xFFFFFE)


def test_full_store_evicts_the_smallest():
    s = with_tids(range(1, 51))
    assert s.count == 50
    s.insert(1000)
    assert s.count == 50
    assert s.tids() == list(range(2, 51)) + [1000]
    assert s.old(1) and not s.used(1)
    s.insert(999)  # out of order, between stored ones: kept, the smallest goes
    assert s.tids() == list(range(3, 51)) + [999, 1000]
    assert s.used(999) and s.old(2) and s.count == 50


def test_fill_makes_everything_earlier_old():
    """The fill value is Old too (the minute before provisioning: a token of the
    provisioning minute, one above it, is taken)."""
    s = TidStore()
    s.fill(5000)
    assert s.count == 50 and s.tids() == [5000] * 50
    assert s.old(4999) and s.old(5000) and not s.old(5001) and not s.used(5001)
    s.insert(5001)
    assert s.tids() == [5000] * 49 + [5001]
    for t in range(5002, 5051):
        s.insert(t)
    assert s.tids() == list(range(5001, 5051))
    assert s.old(5000)  # the provisioning TID is gone: now old


def test_clear_forgets_everything():
    s = with_tids([1, 2, 3])
    s.clear()
    assert s.count == 0 and not s.used(2) and not s.old(0)


def test_raise_floor_keeps_those_at_or_above():
    s = with_tids([10, 20, 30, 40])
    s.raise_floor(25)
    assert s.count == 50
    assert s.tids() == [25] * 48 + [30, 40]
    assert s.old(24) and s.old(10) and s.used(25) and s.used(30) and s.used(40)
    assert not s.used(10) and not s.used(20)


def test_raise_floor_to_a_stored_tid_stores_it_once_more_as_the_floor():
    s = with_tids([10, 20, 30])
    s.raise_floor(20)
    assert s.tids() == [20] * 49 + [30]
    assert s.old(19) and s.old(20)  # (the floor, stored more than once: the fill value)
    assert s.used(30) and not s.old(30) and not s.old(21)


def test_record_round_trip():
    s = with_tids([7, 3, 9, 1000000])
    assert s.record_size() == 2 + 3 * 50
    buf = bytearray(s.record_size() + 4)
    s.save(buf, 4)
    s2 = with_tids([555, 556])  # a load replaces what was there
    assert s2.load(buf, 4) == 152
    assert s2.tids() == [3, 7, 9, 1000000] and s2.count == 4


def test_record_of_a_full_store_round_trip():
    s = TidStore(60)
    s.fill(100)
    for t in range(101, 131):
        s.insert(t)
    buf = bytearray(s.record_size())
    s.save(buf, 0)
    s2 = TidStore(60)
    assert s2.load(buf, 0) == 2 + 3 * 60
    assert s2.tids() == s.tids() and s2.count == 60


def test_a_smaller_store_loads_the_newest():
    big = with_tids(range(1, 61), size=60)
    buf = bytearray(big.record_size())
    big.save(buf, 0)
    small = TidStore(50)
    assert small.load(buf, 0) == 2 + 3 * 60  # the saved record's size
    assert small.count == 50 and small.tids() == list(range(11, 61))
    assert small.old(10) and small.used(60)


def test_a_larger_store_loads_all_and_has_room():
    small = with_tids(range(1, 51))
    buf = bytearray(small.record_size())
    small.save(buf, 0)
    big = TidStore(60)
    assert big.load(buf, 0) == 152
    assert big.tids() == list(range(1, 51))
    for t in range(51, 61):
        big.insert(t)
    assert big.count == 60 and big.tids()[0] == 1  # nothing evicted yet
