"""Keypad scanner over the simulated matrix: debounce, long press, rollover, ghosting,
queue, tick wrap-around, layouts; and zero allocation per scan on MicroPython."""

import asyncio
import json
import time
from pathlib import Path

import machine
import pytest
from conftest import TOOLS, run_micropython, run_wasm
from simmatrix import GLITCH, PRESS_BOUNCE, RELEASE_BOUNCE, SimMatrix, SimPin
from stsmeter.drivers.keypad import LONG, Keypad

HERE = Path(__file__).resolve().parent.parent  # host_tests/: simmatrix.py
KEYS16 = "123A456B789C*0#D"
KEYS12 = "123456789*0#"
TICKS_PERIOD = 1 << 30


def make(nrows=4, ncols=4, keys=KEYS16, pin=SimPin, **kw):
    m = SimMatrix(nrows, ncols, pin=pin)
    return m, Keypad(m.rows, m.cols, keys, **kw)


def run(m, kp, start, stop, step=1):
    """Scan every `step` ms from `start` up to (not including) `stop`; [(t, event)]."""
    events = []
    t = start
    while time.ticks_diff(stop, t) > 0:
        m.at(t)
        kp.scan(t)
        ev = kp.get()
        while ev >= 0:
            events.append((t, ev))
            ev = kp.get()
        t = time.ticks_add(t, step)
    return events


def labels(kp, events):
    return [("L" if ev & LONG else "") + kp.label(ev) for _, ev in events]


@pytest.fixture(autouse=True)
def fresh_pins():
    machine.forget_pins()


def test_pins_are_configured_and_rows_held_low_between_scans():
    m, kp = make()
    for p in m.rows:
        assert (p.mode, p.pull, p._out) == (p.OPEN_DRAIN, p.PULL_UP, 0)
    for p in m.cols:
        assert (p.mode, p.pull) == (p.IN, p.PULL_UP)
    m.press(5)
    kp.scan(0)
    assert [p._out for p in m.rows] == [0, 0, 0, 0]  # every row low again after the scan
    assert kp._read() == 1 << 5
    m.release(5)
    assert kp._read() == 0


def test_an_idle_scan_only_reads_the_columns():
    m, kp = make()
    writes = []
    for p in m.rows:
        p.value = lambda v=None, p=p, f=p.value: (writes.append(v) if v is not None else 0,
                                                  f(v))[1]
    kp.scan(0)
    kp.scan(10)
    assert writes == []  # no key: not one row written
    m.press(0)
    kp.scan(20)
    assert len(writes) == 4 + 2 * 4 + 4  # release all, each row down and up, all down


def test_default_debounce_is_20_ms():
    m, kp = make()
    m.press(KEYS16.index("5"))
    assert run(m, kp, 0, 100) == [(20, KEYS16.index("5"))]


def test_clean_press_is_reported_after_the_debounce_time():
    m, kp = make(debounce_ms=40)
    m.press(KEYS16.index("6"))
    assert run(m, kp, 0, 200) == [(40, KEYS16.index("6"))]
    assert kp.is_down(KEYS16.index("6"))


def test_bouncing_press_and_release_give_exactly_one_event():
    m, kp = make(debounce_ms=40)
    m.play(9, 100, PRESS_BOUNCE)  # closes at 100, bounces until 109
    events = run(m, kp, 0, 600)
    assert events == [(109 + 40, 9)]
    m.play(9, 600, RELEASE_BOUNCE, closed_before=True)
    assert run(m, kp, 600, 900) == []
    assert not kp.is_down(9)
    # a long ragged bounce: 12 flips over 30 ms, then closed
    m.play(9, 900, (0, 1, 3, 4, 8, 9, 15, 16, 22, 24, 29, 30, 31))
    assert run(m, kp, 900, 1400) == [(931 + 40, 9)]


@pytest.mark.parametrize("closed_ms,expected", [(GLITCH[1], 0), (39, 0), (45, 1)])
def test_a_closure_shorter_than_the_debounce_time_is_ignored(closed_ms, expected):
    m, kp = make(debounce_ms=40)
    m.play(2, 50, (0, closed_ms))
    assert len(run(m, kp, 0, 400)) == expected


def test_press_release_press_gives_two_events_and_a_short_gap_none():
    m, kp = make()
    m.play(0, 0, PRESS_BOUNCE)
    events = run(m, kp, 0, 300)
    m.play(0, 300, RELEASE_BOUNCE, closed_before=True)
    events += run(m, kp, 300, 500)
    m.play(0, 500, PRESS_BOUNCE)
    events += run(m, kp, 500, 800)
    assert [ev for _, ev in events] == [0, 0]
    # held key opening for 10 ms (a dirty contact) is not a release + press
    m.play(0, 800, (0, 10), closed_before=True)
    assert run(m, kp, 800, 900) == []


def test_held_key_gives_one_event_then_one_long_event_and_no_repeat():
    m, kp = make(debounce_ms=40, long_ms=1000)
    m.press(13)  # "0"
    events = run(m, kp, 0, 5000, step=10)
    assert events == [(40, 13), (1000, LONG | 13)]
    assert labels(kp, events) == ["0", "L0"]
    m.release(13)
    run(m, kp, 5000, 5100)
    m.press(13)  # a new hold gets its own long event
    assert labels(kp, run(m, kp, 5100, 7000, step=10)) == ["0", "L0"]


def test_release_before_long_ms_gives_no_long_event():
    m, kp = make(long_ms=1000)
    m.press(3)
    events = run(m, kp, 0, 900)
    m.release(3)
    events += run(m, kp, 900, 3000)
    assert [ev for _, ev in events] == [3]


def test_two_key_rollover():
    m, kp = make(debounce_ms=40)
    a, b = KEYS16.index("1"), KEYS16.index("9")
    m.press(a)
    events = run(m, kp, 0, 200)
    m.press(b)  # while a is still held
    events += run(m, kp, 200, 400)
    m.release(a)
    events += run(m, kp, 400, 600)
    m.release(b)
    events += run(m, kp, 600, 800)
    assert events == [(40, a), (240, b)]
    # two keys closing together (same row, same column pairs) come out in index order
    m.press(b)
    m.press(a)
    assert [ev for _, ev in run(m, kp, 800, 900)] == [a, b]


def test_three_keys_on_a_rectangle_give_no_phantom():
    m, kp = make(long_ms=1000)
    k00, k01, k11, k10 = 0, 1, 5, 4  # (row, col) corners; k10 is the phantom
    m.press(k00)
    m.press(k01)
    events = run(m, kp, 0, 100)
    m.press(k11)
    assert kp._read() == (1 << k00) | (1 << k01) | (1 << k11) | (1 << k10)  # the phantom
    events += run(m, kp, 100, 2000, step=5)  # long_ms passes while crowded
    assert [ev for _, ev in events] == [k00, k01]
    m.release(k01)  # back to 2 real keys: trusted again
    later = [ev for _, ev in run(m, kp, 2000, 2100)]
    assert k10 not in later and later == [LONG | k00, k11]


def test_three_keys_in_one_row_give_nothing_new_while_held():
    m, kp = make()
    for k in (0, 1):
        m.press(k)
    events = run(m, kp, 0, 100)
    m.press(2)
    events += run(m, kp, 100, 300)
    assert [ev for _, ev in events] == [0, 1]


def test_full_queue_drops_the_oldest_events():
    m, kp = make(queue_len=4)
    t = 0
    for k in range(6):  # six separate presses, nobody reading
        m.press(k)
        kp.scan(t)
        kp.scan(t + 50)
        m.release(k)
        kp.scan(t + 60)
        kp.scan(t + 110)
        t += 200
    assert kp.pending() == 4 and kp.dropped == 2
    assert [kp.get() for _ in range(5)] == [2, 3, 4, 5, -1]
    kp.scan(t)
    m.press(7)
    kp.scan(t + 10)
    kp.scan(t + 60)
    kp.clear()
    assert kp.get() == -1


def test_ticks_wrap_around():
    start = TICKS_PERIOD - 25  # ticks_ms wraps to 0 25 ms after the press
    m, kp = make(debounce_ms=40)
    m.play(6, start, PRESS_BOUNCE)
    events = run(m, kp, start, time.ticks_add(start, 3000))
    assert events == [(time.ticks_add(start, 9 + 40), 6), (time.ticks_add(start, 1009), LONG | 6)]
    assert events[0][0] < start  # the press was reported after the wrap


@pytest.mark.parametrize("nrows,ncols,keys", [(4, 3, KEYS12), (4, 4, KEYS16)])
def test_layouts_label_every_key_in_row_major_order(nrows, ncols, keys):
    m, kp = make(nrows, ncols, keys)
    seen = []
    t = 0
    for k in range(nrows * ncols):
        m.press(k)
        seen += labels(kp, run(m, kp, t, t + 100, step=5))
        m.release(k)
        run(m, kp, t + 100, t + 200, step=5)
        t += 200
    assert "".join(seen) == keys


def test_bad_layouts_are_refused():
    m = SimMatrix(4, 3)
    with pytest.raises(ValueError):
        Keypad(m.rows, m.cols, KEYS16)


def test_works_over_shim_pins_with_a_reader():
    m, kp = make(pin=machine.Pin)
    assert isinstance(m.cols[0], machine.Pin) and m.cols[0].reader is not None
    m.play(15, 0, PRESS_BOUNCE)
    assert labels(kp, run(m, kp, 0, 200)) == ["D"]


def test_run_task_and_next_event():
    m, kp = make(debounce_ms=20)

    async def main():
        task = asyncio.create_task(kp.run(period_ms=5))
        await asyncio.sleep_ms(30)
        m.press(KEYS16.index("#"))
        ev = await asyncio.wait_for(kp.next_event(), 2)
        task.cancel()
        return ev

    assert kp.label(asyncio.run(main())) == "#"


def bench_line(stdout):
    lines = [json.loads(x) for x in stdout.splitlines() if x.startswith("{")]
    assert len(lines) == 1 and lines[0]["bench"] == "keypad_scan"
    return lines[0]


def test_scan_allocates_nothing_on_the_unix_port():
    proc = run_micropython(TOOLS / "bench_keypad.py", args=[400], extra_path=[HERE])
    assert proc.returncode == 0, proc.stderr
    row = bench_line(proc.stdout)
    assert row["bytes_alloc_per_scan"] == 0
    assert row["events_bouncing"] == 400 // 40  # one event per bouncing press


def test_scan_allocates_nothing_on_32bit_wasm():
    sim = (HERE / "simmatrix.py", "/lib/simmatrix.py")
    proc = run_wasm(TOOLS / "bench_keypad.py", files=[sim], args=[400])
    assert proc.returncode == 0, proc.stderr
    row = bench_line(proc.stdout)
    assert row["bytes_alloc_per_scan"] == 0 and row["events_bouncing"] == 400 // 40
