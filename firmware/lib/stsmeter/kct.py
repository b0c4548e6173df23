"""A key change token set in progress (spec 10.3, 13.7): the sections held, persisted.

A 64-bit key (EA07) comes as sections 1 and 2, a 128-bit key (EA11) as sections 1 to 4,
in any order, within `timeout_s` of the first. The buffer is persisted, so a power cut
mid-set does not lose it; the timeout still applies. Times are meter-clock seconds.
Taking sections, assembling a set into a new key: jobs/key_change.py (loaded per token).
"""

import struct

_FMT = "<BI"  # received sections bit mask, first section at


class KeyChange:
    def __init__(self, key_bytes, timeout_s=600):
        self.need = 0b0011 if key_bytes == 8 else 0b1111
        self.timeout_s = timeout_s
        self.mask = 0
        self.started = 0
        self.sections = bytearray(24)  # block bytes 0..5 of each section

    def expire(self, now):
        """Drop a partial set older than the timeout; True when one was dropped."""
        if self.mask and now - self.started >= self.timeout_s:
            self.clear()
            return True
        return False

    def clear(self):
        self.mask = 0
        for i in range(24):
            self.sections[i] = 0

    def received(self):
        """Section numbers held (1..4), for display."""
        return [i + 1 for i in range(4) if self.mask >> i & 1]

    SIZE = struct.calcsize(_FMT) + 24

    def save(self, buf, off):
        struct.pack_into(_FMT, buf, off, self.mask, max(0, self.started))
        n = struct.calcsize(_FMT)
        buf[off + n : off + n + 24] = self.sections

    def load(self, buf, off):
        self.mask, self.started = struct.unpack_from(_FMT, buf, off)
        n = struct.calcsize(_FMT)
        self.sections[:] = buf[off + n : off + n + 24]
