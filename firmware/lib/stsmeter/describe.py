"""Every field of a decoded token as a dict: host only (tools, logs; a meter never loads it).

Reads the layouts of spec section 4 from `Token.block`; see token.py for the fields the
meter itself uses.
"""

from . import tid
from .token import CLEAR_CREDIT, CLEAR_TAMPER, CREDIT, KEY_1, KEY_2, KEY_3, MPL, MPPUL, \
    TARIFF_RATE, TEST, UNITS


def control(tok):
    """Class 1 Control mask: 36 bits (subclass 0) or 28 bits (subclass 1)."""
    b = tok.block
    hi = (b[0] & 15) << 24 | b[1] << 16 | b[2] << 8 | b[3]  # block bits 59..32
    return (hi << 8 | b[4]) if tok.sub == 0 else hi


def key_fields(tok):
    """Fields of a key change section (spec 4.3)."""
    b = tok.block
    sub = tok.sub
    if sub == KEY_1:
        d = {"kenho": b[0] & 15, "krn": b[1] >> 4, "ro": (b[1] >> 3) & 1, "res": tok.res,
             "kt": b[1] & 3}
    elif sub == KEY_2:
        d = {"kenlo": b[0] & 15, "ti": b[1]}
    else:  # SGCLO (section 3) or SGCHO (section 4), 12 bits
        d = {"sgclo" if sub == KEY_3 else "sgcho": (b[0] & 15) << 8 | b[1]}
    d["key_section"] = bytes(b[2:6]).hex()
    return d


def describe(tok, base_year):
    """A decoded token's fields, named as tools/sts.py prints them."""
    d = {"class": tok.cls, "subclass": tok.sub, "type": tok.type}
    sub = tok.sub
    if tok.cls == TEST:
        d["control"] = control(tok)
        d["mfr_code"] = tok.mfr_code
    elif tok.has_tid:
        if not tok.currency:  # currency tokens use these bits for sign and exponent
            d["rnd"] = tok.rnd
        d["tid"] = tok.tid
        d["issued"] = tid.iso(base_year, tok.tid)
        if tok.cls == CREDIT:
            if tok.currency:
                d["amount"] = tok.amount / 100000
                d["unit"] = UNITS[4]
            else:
                d["amount"] = tok.amount / 10
                d["unit"] = UNITS[sub]
        elif sub in (MPL, MPPUL):
            d["limit_w"] = tok.amount
        elif sub == CLEAR_CREDIT:
            d["register"] = tok.field
        elif sub == TARIFF_RATE:
            d["rate"] = tok.field
        elif sub == CLEAR_TAMPER:
            d["pad"] = tok.field
        else:
            d["factor"] = tok.field
    else:
        d.update(key_fields(tok))
    d["block"] = tok.block.hex()
    return d
