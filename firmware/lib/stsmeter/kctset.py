"""Assembling a key change token set (spec 10.3, 13.7) into a new key: loaded with a key
change token. The set in progress is a keychange.KeyChange; a section that contradicts
one already held starts the set again with it, and a section already held, unchanged,
changes nothing (add returns 0: nothing to save).
"""

from micropython import const

PARTIAL = const(1)
COMPLETE = const(2)
UNSUPPORTED = const(3)  # a 3KCT set on EA07, or sections 3/4 for a 64-bit key

# class 2 subclass (token.KEY_1..KEY_4) -> section index
_SECTION = {3: 0, 4: 1, 8: 2, 9: 3}


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


def add(kct, tok, now):
    """Take one decoded section token; returns PARTIAL, COMPLETE or UNSUPPORTED, or 0 when
    it was held already, unchanged (the set in progress is as it was)."""
    idx = _SECTION[tok.sub]
    if kct.need == 0b0011 and (idx > 1 or (idx == 0 and tok.res)):
        return UNSUPPORTED  # no public layout for a 64-bit 3-token set (spec 10.3)
    kct.expire(now)
    rec = tok.block[0:6]
    bit = 1 << idx
    held = kct.sections[6 * idx : 6 * idx + 6]
    if kct.mask & bit and held == rec:
        return 0
    if not kct.mask or kct.mask & bit:
        kct.mask = 0  # first section, or a contradicting one: (re)start the set
        kct.started = now
    kct.sections[6 * idx : 6 * idx + 6] = rec
    kct.mask |= bit
    return COMPLETE if kct.mask == kct.need else PARTIAL


def new_key(kct):
    """The complete set's NewKey; clears the buffer."""
    key = NewKey(kct.sections, kct.need == 0b1111)
    kct.clear()
    return key
