"""Key change token sets (spec 10.3, 13.7): assembling the sections into a new key.

A 64-bit key (EA07) comes as sections 1 and 2, a 128-bit key (EA11) as sections 1 to 4,
in any order, within `timeout_s` of the first. A section that contradicts one already
held starts the set again with it. The buffer is persisted, so a power cut mid-set does
not lose it; the timeout still applies. Times are meter-clock seconds.
"""

import struct

from micropython import const

PARTIAL = const(1)
COMPLETE = const(2)
UNSUPPORTED = const(3)  # a 3KCT set on EA07, or sections 3/4 for a 64-bit key

# class 2 subclass (token.KEY_1..KEY_4; not imported: token.py is loaded only per token)
# -> section index
_SECTION = {3: 0, 4: 1, 8: 2, 9: 3}
_FMT = "<BI"  # received sections bit mask, first section at


class NewKey:
    """The parameters a complete set installs."""

    def __init__(self, s, wide):  # s: the 4 section records (6 bytes each)
        s1, s2, s3, s4 = s[0:6], s[6:12], s[12:18], s[18:24]
        self.ken = (s1[0] & 15) << 4 | (s2[0] & 15)
        self.krn = s1[1] >> 4
        self.ro = (s1[1] >> 3) & 1
        self.kt = s1[1] & 3
        self.ti = s2[1]
        self.key = bytes(s1[2:6]) + bytes(s2[2:6])  # NKHO || NKLO
        self.sgc = None
        if wide:  # 128-bit: NKHO || NKMO2 || NKMO1 || NKLO, SGC = SGCHO || SGCLO
            self.key = bytes(s1[2:6]) + bytes(s3[2:6]) + bytes(s4[2:6]) + bytes(s2[2:6])
            self.sgc = ((s4[0] & 15) << 20) | (s4[1] << 12) | ((s3[0] & 15) << 8) | s3[1]


class KeyChange:
    def __init__(self, key_bytes, timeout_s=600):
        self.need = 0b0011 if key_bytes == 8 else 0b1111
        self.timeout_s = timeout_s
        self.mask = 0
        self.started = 0
        self._sections = bytearray(24)  # block bytes 0..5 of each section

    def add(self, tok, now):
        """Take one decoded section token; returns PARTIAL, COMPLETE or UNSUPPORTED."""
        idx = _SECTION[tok.sub]
        if self.need == 0b0011 and (idx > 1 or (idx == 0 and tok.res)):
            return UNSUPPORTED  # no public layout for a 64-bit 3-token set (spec 10.3)
        self.expire(now)
        rec = tok.block[0:6]
        bit = 1 << idx
        held = self._sections[6 * idx : 6 * idx + 6]
        if not self.mask or (self.mask & bit and held != rec):
            self.mask = 0  # first section, or a contradicting one: (re)start the set
            self.started = now
        self._sections[6 * idx : 6 * idx + 6] = rec
        self.mask |= bit
        return COMPLETE if self.mask == self.need else PARTIAL

    def new_key(self):
        """The complete set's NewKey; clears the buffer."""
        key = NewKey(self._sections, self.need == 0b1111)
        self.clear()
        return key

    def expire(self, now):
        """Drop a partial set older than the timeout; True when one was dropped."""
        if self.mask and now - self.started >= self.timeout_s:
            self.clear()
            return True
        return False

    def clear(self):
        self.mask = 0
        for i in range(24):
            self._sections[i] = 0

    def received(self):
        """Section numbers held (1..4), for display."""
        return [i + 1 for i in range(4) if self.mask >> i & 1]

    SIZE = struct.calcsize(_FMT) + 24

    def save(self, buf, off):
        struct.pack_into(_FMT, buf, off, self.mask, max(0, self.started))
        n = struct.calcsize(_FMT)
        buf[off + n : off + n + 24] = self._sections

    def load(self, buf, off):
        self.mask, self.started = struct.unpack_from(_FMT, buf, off)
        n = struct.calcsize(_FMT)
        self._sections[:] = buf[off + n : off + n + 24]
