"""Everything a key change does (spec 10.3, 13.7), loaded with a key change token: taking
a section into the set in progress (kct.KeyChange, resident and saved in every record),
assembling a complete set into a new key, the rules for installing it, and the key record
that holds the meter's key sealed in the state (also used at start: install, unseal).

A section that contradicts one already held starts the set again with it, and a section
already held, unchanged, changes nothing (nothing to save). The lockout count is reset
only by a completed, accepted set. A rollover to the key in use is refused: it would
clear the TID memory with the same key, and every token used before would count again.
"""

import struct

import cryptolib
from micropython import const

from .. import codes, eventlog
from ..codes import BASE_YEARS, EAS
from ..kct import KeyChange
from ..seal import CBC
from ..sts.token import KEY_1, KEY_2, KEY_3, KEY_4

_PARTIAL = const(1)
_COMPLETE = const(2)
_UNSUPPORTED = const(3)  # a 3KCT set on EA07, or sections 3/4 for a 64-bit key
_SECTIONS = (KEY_1, KEY_2, KEY_3, KEY_4)  # class 2 subclasses, in section order
_DITK = const(0)  # key types
_KEY_FMT = "<BBBBBB3sB16s6x"  # ea, kt, krn, ti, ken, base index, sgc, key length, key


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
        return report(m, codes.KCT_PARTIAL, "key change: waiting for more",
                      save=got == _PARTIAL, sections=m.kct.received())
    if got != _COMPLETE:
        return report(m, codes.FUNCTION, "key change set not supported")
    new = new_key(m.kct)  # the set's buffer is cleared: saved with the result below
    if new.kt == _DITK and m.kt != _DITK:
        return report(m, codes.KEY_TYPE, "change to an initialisation key refused", save=True)
    if new.ro and new.key == bytes(m.key):
        return report(m, codes.FUNCTION, "rollover to the same key refused", save=True)
    base = m.base_year
    if new.ro:  # rollover: the next base date, a fresh TID memory (spec 13.6)
        m.tids.clear()
        i = BASE_YEARS.index(base)
        base = BASE_YEARS[min(i + 1, len(BASE_YEARS) - 1)]
    install(m, m.ea, new.key, new.kt, new.krn, new.ti, new.ken,
            m.sgc if new.sgc is None else new.sgc, base)
    seal(m)
    m.lockout.reset()
    m.log.add(m.now, eventlog.KEY_CHANGED, new.krn, new.ro)
    report(m, codes.ACCEPT, "key changed", save=True, krn=new.krn, kt=new.kt,
           ti="%02d" % new.ti, ken=new.ken, rollover=bool(new.ro), base_date=base)


# --- the key record: the decoder key and its key data, sealed (AES-CBC + CMAC under the
# device key, seal.py) at the head of the state record (record.py) ---


def install(m, ea, key, kt, krn, ti, ken, sgc, base_year):
    """Make a key and its data the meter's (a pending key change set is dropped)."""
    m.ea, m.key, m.kt, m.krn, m.ti = ea, key, kt, krn, ti
    m.ken, m.sgc, m.base_year = ken, sgc, base_year
    m.kct = KeyChange(len(key), m.cfg.key_change_timeout_s)
    m.decoder = None  # a kept key schedule is the old key's


def seal(m):
    """Seal the meter's current key record into m.sealed (after provisioning or a key
    change)."""
    plain = struct.pack(_KEY_FMT, EAS.index(m.ea), m.kt, m.krn, m.ti, m.ken,
                        BASE_YEARS.index(m.base_year), m.sgc.to_bytes(3, "big"),
                        len(m.key), bytes(m.key) + bytes(16 - len(m.key)))
    iv = bytes(m.random_bytes(16))
    ct = bytearray(len(plain))
    cryptolib.aes(m.sealer.seal_key, CBC, iv).encrypt(plain, ct)
    body = iv + bytes(ct)
    m.sealed = body + m.sealer.cmac.mac(body)  # IV + AES-CBC(plain) + CMAC


def unseal(m, blob):
    """Install the key record in a sealed blob; False if it is not genuine."""
    body, tag = blob[:-16], blob[-16:]
    if len(blob) < 48 or m.sealer.cmac.mac(body) != bytes(tag):
        return False  # not this device's genuine seal
    plain = bytearray(len(body) - 16)
    cryptolib.aes(m.sealer.seal_key, CBC, body[:16]).decrypt(body[16:], plain)
    ea, kt, krn, ti, ken, base, sgc, n, key = struct.unpack(_KEY_FMT, plain)
    install(m, EAS[ea], key[:n], kt, krn, ti, ken, int.from_bytes(sgc, "big"),
            BASE_YEARS[base])
    m.sealed = blob
    return True
