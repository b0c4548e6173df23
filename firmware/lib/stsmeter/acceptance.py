"""What the meter does with an entered token (spec section 13; our decisions where [U]).

Order: format -> class 1 (CRC, MfrCode; never TID-checked, works in lockout) -> lockout
-> decrypt + CRC -> key change sections -> DDTK (key type 1 refuses class 0) -> key expired
((TID >> 16) > KEN, KEN 255 = never) -> old (below the TID memory, or its fill value)
-> used -> function / range / overflow -> accept. A token's action, its TID and the
lockout reset are saved in one atomic record, so the TID is stored exactly when the action
is durable.

The lockout count is reset only by an accepted meter-specific token and by a completed,
accepted key change: a key change section that leaves the set incomplete does not reset
it, and one that repeats a section held already writes nothing to flash. A rollover key
change to the key in use is refused (a function error): it would clear the TID memory
with the same key, and every token used before would count again.
"""

from micropython import const

from . import eventlog
from .credit import ELECTRICITY, GAS, WATER
from .kctset import COMPLETE, PARTIAL, add, new_key
from .results import report, show, test_lines
from .token import (ALL_REGISTERS, CLEAR_CREDIT, CLEAR_TAMPER, CREDIT, KEY_1, KEY_2, KEY_3,
                    KEY_4, MANAGEMENT, MPL, MPPUL, TARIFF_RATE, TEST, UNITS, WATER_FACTOR)

# result codes: indexes of results.RESULTS
_ACCEPT = const(0)
_KCT_PARTIAL = const(1)
_USED = const(2)
_OLD = const(3)
_CRC = const(4)
_FORMAT = const(5)
_KEY_EXPIRED = const(6)
_DDTK = const(7)
_KEY_TYPE = const(8)
_FUNCTION = const(9)
_RANGE = const(10)
_OVERFLOW = const(11)
_MFR_CODE = const(12)
_LOCKED = const(13)

_DITK = const(0)
_DDTK_KT = const(1)
_KEY_SECTIONS = (KEY_1, KEY_2, KEY_3, KEY_4)
# class 1 Control bits we act on [U]: there is no public list of their meanings
TESTS = ("relay", "display", "registers", "key_data", "version")


def _counted_reject(m, code, detail):
    """A rejected meter-specific entry (format/CRC): counts towards the lockout, saved.
    During a lockout a format error is shown but not counted (no token was tried)."""
    if m.lockout.remaining(m.now):
        return report(m, code, detail, lockout_s=m.lockout.remaining(m.now))
    m.lockout.reject(m.now)
    report(m, code, detail, save=True, lockout_s=m.lockout.remaining(m.now))


def wrong_length(m, n):
    _counted_reject(m, _FORMAT, "%d digits, a token has 20" % n)


def _locked(m):
    report(m, _LOCKED, "keypad locked", lockout_s=m.lockout.remaining(m.now))


def _class1(m, tok):
    """Test/display tokens: not meter-specific, so no TID, no lockout, no counting."""
    if tok.error == "crc":
        return report(m, _CRC, tok.detail)
    if tok.error:
        return report(m, _FUNCTION, tok.detail)
    if tok.mfr_code != m.cfg.mfr_code:
        return report(m, _MFR_CODE, "manufacturer code is not this meter's")
    ran = [name for bit, name in enumerate(TESTS) if tok.control_bit(bit)]
    m.last_amount = 0
    report(m, _ACCEPT, "test/display", tests=ran)
    if "relay" in ran:
        m.test_until = m.now + m.cfg.relay_test_s
    lines = test_lines(m, ran)
    if lines:
        show(m, *lines)


def token(m, tok):
    """Apply the rules to a decoded token (meter.py decodes it first, see Meter._decode)."""
    if tok.error == "format":
        return _counted_reject(m, _FORMAT, tok.detail)
    if tok.cls == TEST:
        return _class1(m, tok)
    if m.lockout.remaining(m.now):
        return _locked(m)
    if tok.error == "crc":
        return _counted_reject(m, _CRC, tok.detail)
    if tok.error:
        return report(m, _FUNCTION, tok.detail)
    if tok.cls == MANAGEMENT and tok.sub in _KEY_SECTIONS:
        return _key_section(m, tok)
    if tok.cls == CREDIT and m.kt == _DDTK_KT:
        return report(m, _DDTK, "default key: no credit tokens")
    t = tok.tid
    if m.ken != 255 and (t >> 16) > m.ken:
        return report(m, _KEY_EXPIRED, "token beyond the key expiry number")
    if m.tids.old(t):  # (first: the memory's fill value is Old, not Used)
        return report(m, _OLD, "token older than the TID memory")
    if m.tids.used(t):
        return report(m, _USED, "token already used")
    code, detail, fields = _apply(m, tok)
    if code != _ACCEPT:
        return report(m, code, detail, **fields)
    m.tids.insert(t)
    m.lockout.reset()
    report(m, _ACCEPT, detail, save=True, **fields)  # action, TID, reset, log: one record


def _apply(m, tok):
    """Carry out a TID token's action on the meter in RAM: (code, detail, event fields)."""
    sub = tok.sub
    if tok.cls == CREDIT:
        if sub > 2:  # time and currency credit: this meter has no such register
            return _FUNCTION, "credit type not supported", {}
        units = tok.amount
        owed = m.credit.owed_wh
        if not m.credit.add((ELECTRICITY, WATER, GAS)[sub], units):
            return _OVERFLOW, "register would overflow", {}
        m.last_amount, m.last_unit = units, sub
        fields = {"amount": units / 10, "unit": UNITS[sub]}
        if owed > m.credit.owed_wh:  # emergency credit repaid from it
            fields["repaid_kwh"] = (owed - m.credit.owed_wh) / 1000
        return _ACCEPT, "", fields
    m.last_amount = 0
    sup = m.supply
    if sub == MPL:
        sup.mpl_w = tok.amount
        return _ACCEPT, "max power limit", {"limit_w": sup.mpl_w}
    if sub == MPPUL:
        sup.mppul_w = tok.amount
        return _ACCEPT, "phase unbalance limit", {"limit_w": sup.mppul_w}
    if sub == CLEAR_CREDIT:
        reg = tok.field
        if reg == ALL_REGISTERS:
            for r in (ELECTRICITY, WATER, GAS):
                m.credit.clear(r)
        elif reg <= GAS:
            m.credit.clear(reg)
        elif reg <= 7:
            return _FUNCTION, "register not on this meter", {}
        else:
            return _RANGE, "unknown register code", {}
        return _ACCEPT, "credit cleared", {"register": reg}
    if sub == CLEAR_TAMPER:
        if m.tamper:
            m.set_tamper(0)
        return _ACCEPT, "tamper cleared", {}
    if sub == TARIFF_RATE:
        sup.tariff_rate = tok.field
        return _ACCEPT, "tariff rate", {"rate": sup.tariff_rate}
    if sub == WATER_FACTOR:
        sup.water_factor = tok.field
        return _ACCEPT, "water meter factor", {"factor": sup.water_factor}
    return _FUNCTION, "not supported", {}


def _key_section(m, tok):
    """One section of a key change set. Held until the set is complete (saved when the set
    in progress changed); the lockout is reset only when a complete set is accepted."""
    got = add(m.kct, tok, m.now)
    if got == PARTIAL or not got:  # (0: a section held already, unchanged: no save)
        return report(m, _KCT_PARTIAL, "key change: waiting for more", save=got == PARTIAL,
                      sections=m.kct.received())
    if got != COMPLETE:
        return report(m, _FUNCTION, "key change set not supported")
    new = new_key(m.kct)  # the set's buffer is cleared: saved with the result below
    if new.kt == _DITK and m.kt != _DITK:
        return report(m, _KEY_TYPE, "change to an initialisation key refused", save=True)
    if new.ro and new.key == bytes(m.key):
        return report(m, _FUNCTION, "rollover to the same key refused", save=True)
    base = m.base_year
    if new.ro:  # rollover: new base date, fresh TID memory (spec 13.6)
        m.tids.clear()
        base = {1993: 2014, 2014: 2035}.get(base, base)
    from . import keyrecord

    keyrecord.install(m, m.ea, new.key, new.kt, new.krn, new.ti, new.ken,
                      m.sgc if new.sgc is None else new.sgc, base)
    keyrecord.seal(m)
    m.lockout.reset()
    m.log.add(m.now, eventlog.KEY_CHANGED, new.krn, new.ro)
    report(m, _ACCEPT, "key changed", save=True, krn=new.krn, kt=new.kt, ti="%02d" % new.ti,
           ken=new.ken, rollover=bool(new.ro), base_date=base)
