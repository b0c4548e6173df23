"""What a key change token does (spec 10.3, 13.7), loaded with one: taking a section into
the set in progress (kct.KeyChange, resident and saved in every record), assembling a
complete set into a new key, and the rules for installing it (key_record.py then holds
it, sealed, in the state).

A section that contradicts one already held starts the set again with it, and a section
already held, unchanged, changes nothing (nothing to save). The lockout count is reset
only by a completed, accepted set. A rollover to the key in use is refused: it would
clear the TID memory with the same key, and every token used before would count again.
"""

from micropython import const

from .. import BASE_YEARS, eventlog
from ..sts.token import KEY_1, KEY_2, KEY_3, KEY_4

_PARTIAL = const(1)
_COMPLETE = const(2)
_UNSUPPORTED = const(3)  # a 3KCT set on EA07, or sections 3/4 for a 64-bit key
_SECTIONS = (KEY_1, KEY_2, KEY_3, KEY_4)  # class 2 subclasses, in section order
_DITK = const(0)  # key types


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
    """Take one decoded section token into the set in progress; returns _PARTIAL,
    _COMPLETE or _UNSUPPORTED, or 0 when it was held already, unchanged."""
    idx = _SECTIONS.index(tok.sub)
    if kct.need == 0b0011 and (idx > 1 or (idx == 0 and tok.res)):
        return _UNSUPPORTED  # no public layout for a 64-bit 3-token set (spec 10.3)
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
    return _COMPLETE if kct.mask == kct.need else _PARTIAL


def new_key(kct):
    """The complete set's NewKey; clears the buffer."""
    key = NewKey(kct.sections, kct.need == 0b1111)
    kct.clear()
    return key


def section(m, tok):
    """One section of a key change set, reported. Held until the set is complete (saved
    when the set in progress changed); the lockout is reset only when a complete set is
    accepted. (results: imported here, so that the start's use of this module, install
    and unseal, does not load it.)"""
    from .results import report

    got = add(m.kct, tok, m.now)
    if got == _PARTIAL or not got:  # (0: a section held already, unchanged: no save)
        return report(m, "kct_partial", "key change: waiting for more",
                      save=got == _PARTIAL, sections=m.kct.received())
    if got != _COMPLETE:
        return report(m, "function", "key change set not supported")
    from . import key_record  # (a complete set: the key record is loaded only now)

    new = new_key(m.kct)  # the set's buffer is cleared: saved with the result below
    if new.kt == _DITK and m.kt != _DITK:
        return report(m, "key_type", "change to an initialisation key refused", save=True)
    if new.ro and new.key == bytes(m.key):
        return report(m, "function", "rollover to the same key refused", save=True)
    base = m.base_year
    if new.ro:  # rollover: the next base date, a fresh TID memory (spec 13.6)
        m.tids.clear()
        i = BASE_YEARS.index(base)
        base = BASE_YEARS[min(i + 1, len(BASE_YEARS) - 1)]
    key_record.install(m, m.ea, new.key, new.kt, new.krn, new.ti, new.ken,
                       m.sgc if new.sgc is None else new.sgc, base)
    key_record.seal(m)
    m.lockout.reset()
    m.log.add(m.now, eventlog.KEY_CHANGED, new.krn, new.ro)
    report(m, "accept", "key changed", save=True, krn=new.krn, kt=new.kt,
           ti="%02d" % new.ti, ken=new.ken, rollover=bool(new.ro), base_date=base)
