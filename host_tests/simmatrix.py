"""A simulated key matrix for tests and benchmarks (CPython and MicroPython alike).

    m = SimMatrix(4, 4)                  # row pins m.rows, column pins m.cols
    kp = Keypad(m.rows, m.cols, "123A456B789C*0#D")
    m.press(5)                           # key row 1, col 1 closed
    m.play(5, t0, PRESS_BOUNCE)          # or: scripted contact bounce from t0
    m.at(now); kp.scan(now)              # apply the scripts, then scan

A column reads low when a closed contact path (through any number of keys) joins it to
a row driven low, so 3 keys on a rectangle's corners show the 4th as a phantom, as on
real hardware with open-drain or high-impedance rows. A column without its pull-up reads
0 (floating), so a driver that forgets the pull-up sees every key pressed.

SimPin is a plain fake pin with the Pin constants; pass pin=machine.Pin (the CPython shim)
to build the matrix from shim pins instead (ids ROW0.., COL0..: one such matrix at a time,
machine.forget_pins() in between). Nothing here allocates once built.
"""

import time

# contact scripts: offsets in ms from the start at which the contact flips, starting open
PRESS_BOUNCE = (0, 2, 4, 7, 9)  # bounces for 9 ms, then stays closed
RELEASE_BOUNCE = (0, 3, 5)  # with closed_before=True: opens, bounces, open from 5 ms
GLITCH = (0, 10)  # closed for 10 ms only: shorter than any debounce time


IN = 0
OUT = 1
OPEN_DRAIN = 2
PULL_UP = 1
PULL_DOWN = 2


class SimPin:
    IN = IN
    OUT = OUT
    OPEN_DRAIN = OPEN_DRAIN
    PULL_UP = PULL_UP
    PULL_DOWN = PULL_DOWN

    def __init__(self, id, mode=-1, pull=-1, value=None, reader=None):
        self.id = id
        self.mode = None
        self.pull = None
        self.reader = reader
        self._out = 0
        self.init(mode, pull, value=value)

    def init(self, mode=-1, pull=-1, value=None):
        if value is not None:
            self._out = 1 if value else 0
        if mode != -1:
            self.mode = mode
        if pull != -1:
            self.pull = pull

    def value(self, v=None):
        if v is not None:
            self._out = 1 if v else 0
            return None
        if self.mode == OUT or (self.mode == OPEN_DRAIN and not self._out):
            return self._out
        if self.reader is not None:
            return self.reader()
        return 1 if self.pull == PULL_UP else 0


class SimMatrix:
    def __init__(self, nrows, ncols, pin=SimPin):
        self.nrows = nrows
        self.ncols = ncols
        n = nrows * ncols
        self.rows = tuple(pin("ROW%d" % r) for r in range(nrows))
        self.cols = tuple(pin("COL%d" % c, reader=self._reader(c)) for c in range(ncols))
        self._closed = 0  # bit r * ncols + c: contact closed
        self._script = [None] * n
        self._start = [0] * n
        self._before = 0  # keys whose script starts from closed
        self._cache_low = -1  # (rows driven low, contacts) -> columns pulled low
        self._cache_closed = -1
        self._cache_cols = 0

    def _reader(self, c):
        def read():
            return self.level(c)

        return read

    def set(self, index, closed):
        """Open or close one contact now; cancels its script."""
        self._script[index] = None
        if closed:
            self._closed |= 1 << index
        else:
            self._closed &= ~(1 << index)

    def press(self, index):
        self.set(index, True)

    def release(self, index):
        self.set(index, False)

    def release_all(self):
        for i in range(len(self._script)):
            self._script[i] = None
        self._closed = 0

    def play(self, index, start_ms, flips, closed_before=False):
        """Script a contact: from `closed_before` it flips at start_ms + each offset."""
        self._script[index] = flips
        self._start[index] = start_ms
        if closed_before:
            self._before |= 1 << index
            self._closed |= 1 << index
        else:
            self._before &= ~(1 << index)
            self._closed &= ~(1 << index)

    def at(self, now_ms):
        """Move every scripted contact to its state at `now_ms` (ticks)."""
        script = self._script
        for i in range(len(script)):
            flips = script[i]
            if flips is None:
                continue
            elapsed = time.ticks_diff(now_ms, self._start[i])
            k = 0
            while k < len(flips) and flips[k] <= elapsed:
                k += 1
            closed = (k & 1) ^ (self._before >> i & 1)
            if closed:
                self._closed |= 1 << i
            else:
                self._closed &= ~(1 << i)

    def is_closed(self, index):
        return bool(self._closed >> index & 1)

    def _rows_low(self):
        low = 0
        rows = self.rows
        for r in range(self.nrows):
            p = rows[r]  # both pin classes keep the output latch in _out
            if not p._out and (p.mode == p.OUT or p.mode == p.OPEN_DRAIN):
                low |= 1 << r
        return low

    def _spread(self, low_rows):
        """Columns joined to a low row by closed contacts (transitively)."""
        nc = self.ncols
        closed = self._closed
        colmask = (1 << nc) - 1
        rows = low_rows
        cols = 0
        while True:
            new_cols = cols
            for r in range(self.nrows):
                if rows >> r & 1:
                    new_cols |= closed >> (r * nc) & colmask
            new_rows = rows
            for r in range(self.nrows):
                if closed >> (r * nc) & new_cols:
                    new_rows |= 1 << r
            if new_cols == cols and new_rows == rows:
                return cols
            cols = new_cols
            rows = new_rows

    def level(self, c):
        """What column c reads now."""
        low = self._rows_low()
        if low != self._cache_low or self._closed != self._cache_closed:
            self._cache_low = low
            self._cache_closed = self._closed
            self._cache_cols = self._spread(low)
        if self._cache_cols >> c & 1:
            return 0
        return 1 if self.cols[c].pull == self.cols[c].PULL_UP else 0
