"""Progressive keypad lockout after repeated wrong tokens (our rule; spec 13.2 [P]).

After `free` consecutive rejected meter-specific entries (format or CRC), meter-specific
tokens are refused for `base_s`, doubling with each further rejection up to `max_s`. Only
an accepted meter-specific token or a completed key change resets the count: a key change
section that leaves the set incomplete, or repeats a section held already, does not (else
`wrong, wrong, section 1` over and over would never lock).

It is persisted, and counted in the meter's own running time: `until` is a meter-clock
time, saved with the record's clock, and a restart resumes the lockout with what was left
at the last save (startup.py: remaining() at the record's clock, from the new clock). A
power cycle neither resets it nor lets it run while the meter is off, and a clock moved
forward or back at the restart neither ends nor stretches it. The meter saves the end of
a lockout too (`until` back to 0), so that a lockout waited out stays over.
"""

import struct

_FMT = "<BI"  # bad count, locked until (meter clock: below 2**30, see record.CLOCK_MAX)


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
