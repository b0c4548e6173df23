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

from ..credit import ELECTRICITY, GAS, WATER
from ..sts.token import (ALL_REGISTERS, CLEAR_CREDIT, CLEAR_TAMPER, CREDIT, KEY_1, KEY_2,
                         KEY_3, KEY_4, MANAGEMENT, MPL, MPPUL, TARIFF_RATE, TEST, UNITS,
                         WATER_FACTOR)
from .results import report, show, test_lines

_DDTK_KT = const(1)
_KEY_SECTIONS = (KEY_1, KEY_2, KEY_3, KEY_4)
# class 1 Control bits we act on [U]: there is no public list of their meanings
TESTS = tuple(["relay", "display", "registers", "key_data", "version"])  # (stsmeter.RESULTS)


def _counted_reject(m, code, detail):
    """A rejected meter-specific entry (format/"crc"): counts towards the lockout, saved.
    During a lockout a format error is shown but not counted (no token was tried)."""
    if m.lockout.remaining(m.now):
        return report(m, code, detail, lockout_s=m.lockout.remaining(m.now))
    m.lockout.reject(m.now)
    report(m, code, detail, save=True, lockout_s=m.lockout.remaining(m.now))


def wrong_length(m, n):
    _counted_reject(m, "format", "%d digits, a token has 20" % n)


def _locked(m):
    report(m, "locked", "keypad locked", lockout_s=m.lockout.remaining(m.now))


def _class1(m, tok):
    """Test/display tokens: not meter-specific, so no TID, no lockout, no counting."""
    if tok.error == "crc":
        return report(m, "crc", tok.detail)
    if tok.error:
        return report(m, "function", tok.detail)
    if tok.mfr_code != m.cfg.mfr_code:
        return report(m, "mfr_code", "manufacturer code is not this meter's")
    ran = [name for bit, name in enumerate(TESTS) if tok.control_bit(bit)]
    m.last_amount = 0
    report(m, "accept", "test/display", tests=ran)
    if "relay" in ran:
        m.test_until = m.now + m.cfg.relay_test_s
    lines = test_lines(m, ran)
    if lines:
        show(m, *lines)


def token(m, tok):
    """Apply the rules to a decoded token (meter.py decodes it first, see Meter._decode)."""
    if tok.error == "format":
        return _counted_reject(m, "format", tok.detail)
    if tok.cls == TEST:
        return _class1(m, tok)
    if m.lockout.remaining(m.now):
        return _locked(m)
    if tok.error == "crc":
        return _counted_reject(m, "crc", tok.detail)
    if tok.error:
        return report(m, "function", tok.detail)
    if tok.cls == MANAGEMENT and tok.sub in _KEY_SECTIONS:
        from . import key_change

        return key_change.section(m, tok)
    if tok.cls == CREDIT and m.kt == _DDTK_KT:
        return report(m, "ddtk", "default key: no credit tokens")
    t = tok.tid
    if m.ken != 255 and (t >> 16) > m.ken:
        return report(m, "key_expired", "token beyond the key expiry number")
    if m.tids.old(t):  # (first: the memory's fill value is Old, not Used)
        return report(m, "old", "token older than the TID memory")
    if m.tids.used(t):
        return report(m, "used", "token already used")
    code, detail, fields = _apply(m, tok)
    if code != "accept":
        return report(m, code, detail, **fields)
    m.tids.insert(t)
    m.lockout.reset()
    report(m, "accept", detail, save=True, **fields)  # action, TID, reset, log: one record


def _apply(m, tok):
    """Carry out a TID token's action on the meter in RAM: (code, detail, event fields)."""
    sub = tok.sub
    if tok.cls == CREDIT:
        if sub > 2:  # time and currency credit: this meter has no such register
            return "function", "credit type not supported", {}
        units = tok.amount
        owed = m.credit.owed_wh
        if not m.credit.add((ELECTRICITY, WATER, GAS)[sub], units):
            return "overflow", "register would overflow", {}
        m.last_amount, m.last_unit = units, sub
        fields = {"amount": units / 10, "unit": UNITS[sub]}
        if owed > m.credit.owed_wh:  # emergency credit repaid from it
            fields["repaid_kwh"] = (owed - m.credit.owed_wh) / 1000
        return "accept", "", fields
    m.last_amount = 0
    sup = m.supply
    if sub == MPL:
        sup.mpl_w = tok.amount
        return "accept", "max power limit", {"limit_w": sup.mpl_w}
    if sub == MPPUL:
        sup.mppul_w = tok.amount
        return "accept", "phase unbalance limit", {"limit_w": sup.mppul_w}
    if sub == CLEAR_CREDIT:
        reg = tok.field
        if reg == ALL_REGISTERS:
            for r in (ELECTRICITY, WATER, GAS):
                m.credit.clear(r)
        elif reg <= GAS:
            m.credit.clear(reg)
        elif reg <= 7:
            return "function", "register not on this meter", {}
        else:
            return "range", "unknown register code", {}
        return "accept", "credit cleared", {"register": reg}
    if sub == CLEAR_TAMPER:
        if m.tamper:
            m.set_tamper(0)
        return "accept", "tamper cleared", {}
    if sub == TARIFF_RATE:
        sup.tariff_rate = tok.field
        return "accept", "tariff rate", {"rate": sup.tariff_rate}
    if sub == WATER_FACTOR:
        sup.water_factor = tok.field
        return "accept", "water meter factor", {"factor": sup.water_factor}
    return "function", "not supported", {}
