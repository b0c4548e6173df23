"""Progressive keypad lockout after repeated wrong tokens (our rule; spec 13.2 [P]).

After `free` consecutive rejected meter-specific entries (format or CRC), meter-specific
tokens are refused for `base_s`, doubling with each further rejection up to `max_s`. An
accepted meter-specific token resets it. It is persisted: a power cycle does not reset it.
Times are meter-clock seconds.
"""

import struct

_FMT = "<BI"  # bad count, locked until


class Lockout:
    def __init__(self, free=3, base_s=10, max_s=1280):
        self.free = free
        self.base_s = base_s
        self.max_s = max_s
        self.bad = 0
        self.until = 0

    def duration(self):
        """The lockout that the current count of rejections earns (0 below `free`)."""
        if self.bad < self.free:
            return 0
        d = self.base_s
        for _ in range(self.bad - self.free):
            d *= 2
            if d >= self.max_s:
                return self.max_s
        return d

    def remaining(self, now):
        """Seconds left, never more than one lockout step (a clock set back cannot stretch it)."""
        left = self.until - now
        return 0 if left <= 0 else min(left, self.duration())

    def reject(self, now):
        """Count one rejected entry; returns the lockout now running (0 if none)."""
        self.bad = min(self.bad + 1, 255)
        d = self.duration()
        self.until = now + d if d else 0
        return d

    def reset(self):
        self.bad = 0
        self.until = 0

    SIZE = struct.calcsize(_FMT)

    def save(self, buf, off):
        struct.pack_into(_FMT, buf, off, self.bad, max(0, self.until))

    def load(self, buf, off):
        self.bad, self.until = struct.unpack_from(_FMT, buf, off)
