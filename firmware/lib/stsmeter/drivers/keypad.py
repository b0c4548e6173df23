"""Matrix keypad scanner (4x3, 4x4): debounced key-down and long-press events.

    from machine import Pin
    from stsmeter.keypad import Keypad, LONG
    kp = Keypad([Pin(n) for n in (2, 3, 4, 5)], [Pin(n) for n in (6, 7, 8, 9)],
                "123A456B789C*0#D")
    asyncio.create_task(kp.run())
    ev = await kp.next_event()        # key index 0..15, or LONG | index
    kp.label(ev)                      # "1" .. "D"

Rows are open-drain outputs; columns are inputs with pull-ups, so a closed key reads 0
in its column. Between scans every row is held low: a key pressed anywhere pulls its
column low, so an idle scan is one read per column and no write. When a column reads
low, the rows are released (high) and pulled low one at a time to find the keys, then
held low again. Open drain rather than push-pull rows: two keys closed in one column
never short a high row to a low one, and no pin is reconfigured while scanning (one
write per row, one read per column). ESP32 and RP2040 both support Pin.OPEN_DRAIN.

Debounce: a new reading must hold for `debounce_ms` (confirmed by a later scan) before
it becomes the key state. A press is one event; a hold gives one LONG event `long_ms`
after the contact settled, no auto-repeat; a release is no event (see is_down()).

Ghosting: with 3 keys closed on 3 corners of a rectangle the 4th corner reads closed
too, so any reading with 3 or more keys (every rectangle has 4) is not trusted: nothing
new is emitted until it clears. 2-key rollover is exact.

A scan allocates nothing: the matrix is an int bitmap (at most 30 keys, a small int on
32-bit ports) and events go to a preallocated ring.
"""

import time

from micropython import const

LONG = const(0x40)  # event flag: the key has been held long_ms
_INDEX = const(0x3F)
_MAX_KEYS = const(30)


def _crowded(bits):
    """True when 3 or more bits are set (clears the lowest two, looks for a third)."""
    bits &= bits - 1
    bits &= bits - 1
    return bits != 0


class Keypad:
    def __init__(self, rows, cols, keys, debounce_ms=20, long_ms=1000, queue_len=16):
        n = len(rows) * len(cols)
        if len(keys) != n or not 0 < n <= _MAX_KEYS:
            raise ValueError("keys must label every row x column position")
        self._rows = tuple(rows)
        self._cols = tuple(cols)
        self._labels = tuple(keys[i] for i in range(n))  # 1-char strs, made once
        self.debounce_ms = debounce_ms
        self.long_ms = long_ms
        self._down_at = [0] * n  # ticks when each key's closure started
        self._raw = 0  # last reading
        self._since = 0  # ticks when the reading last changed
        self._state = 0  # debounced: bit i set = key i down
        self._long = 0  # keys whose long press has been queued
        self._queue = bytearray(queue_len)
        self._head = 0
        self._count = 0
        self.dropped = 0  # events lost to a full queue
        self._ready = None  # asyncio.Event for next_event(), made when first awaited
        for i in range(len(self._cols)):
            pin = self._cols[i]
            pin.init(pin.IN, pin.PULL_UP)
        for i in range(len(self._rows)):
            pin = self._rows[i]
            pin.init(pin.OPEN_DRAIN, pin.PULL_UP, value=0)  # held low between scans

    def _read(self):
        """The matrix now, as a bitmap: bit row * ncols + col set = contact closed."""
        rows = self._rows
        cols = self._cols
        nrows = len(rows)
        ncols = len(cols)
        # idle: every row is held low, so no column low means no key closed
        c = 0
        while c < ncols and cols[c].value():
            c += 1
        if c == ncols:
            return 0
        for r in range(nrows):
            rows[r].value(1)
        bits = 0
        bit = 1
        for r in range(nrows):
            row = rows[r]
            row.value(0)
            for c in range(ncols):
                if not cols[c].value():
                    bits |= bit
                bit <<= 1
            row.value(1)
        for r in range(nrows):
            rows[r].value(0)
        return bits

    def scan(self, now_ms):
        """One scan cycle at time `now_ms` (time.ticks_ms()); queues any new events."""
        raw = self._read()
        if raw != self._raw:
            self._raw = raw
            self._since = now_ms
            return
        if _crowded(raw):
            return
        state = self._state
        if raw != state and time.ticks_diff(now_ms, self._since) >= self.debounce_ms:
            self._state = raw
            self._long &= raw
            new = raw & ~state
            i = 0
            while new:
                if new & 1:
                    self._down_at[i] = self._since
                    self._put(i)
                new >>= 1
                i += 1
        waiting = self._state & raw & ~self._long  # down, still read down, not yet long
        i = 0
        while waiting:
            if waiting & 1 and time.ticks_diff(now_ms, self._down_at[i]) >= self.long_ms:
                self._long |= 1 << i
                self._put(LONG | i)
            waiting >>= 1
            i += 1

    def _put(self, event):
        q = self._queue
        size = len(q)
        if self._count == size:  # full: drop the oldest
            self._head = (self._head + 1) % size
            self._count -= 1
            self.dropped += 1
        q[(self._head + self._count) % size] = event
        self._count += 1
        if self._ready is not None:
            self._ready.set()

    def get(self):
        """The next event (key index, or LONG | index), or -1 when there is none."""
        if not self._count:
            return -1
        event = self._queue[self._head]
        self._head = (self._head + 1) % len(self._queue)
        self._count -= 1
        return event

    def clear(self):
        """Forget queued events (keys typed while they could not be used)."""
        self._count = 0

    def pending(self):
        """Number of queued events."""
        return self._count

    def is_down(self, index):
        """The debounced state of key `index`."""
        return bool(self._state >> index & 1)

    def labels(self):
        """Every key's label, by index."""
        return self._labels

    def index(self, label):
        """The key index of a label ("*"); ValueError if the keypad has no such key."""
        return self._labels.index(label)

    def label(self, event):
        """The key's label (a 1-char str from `keys`) for an event or a key index."""
        return self._labels[event & _INDEX]

    async def run(self, period_ms=10):
        """Scan forever, every `period_ms`."""
        import asyncio  # here: scan() works where asyncio is not on the path

        while True:
            self.scan(time.ticks_ms())
            await asyncio.sleep_ms(period_ms)

    async def next_event(self):
        """Wait for the next event (needs run() going in another task)."""
        if self._ready is None:
            import asyncio

            self._ready = asyncio.Event()
        while not self._count:
            self._ready.clear()
            await self._ready.wait()
        return self.get()
