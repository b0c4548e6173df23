"""Every field of a decoded token as a dict: host only (tools, logs; a meter never loads it).

Reads the layouts of spec section 4 from `Token.block`; see token.py for the fields the
meter itself uses.
"""

from stsmeter.jobs import tid
from stsmeter.sts.token import CLEAR_CREDIT, CLEAR_TAMPER, CREDIT, KEY_1, KEY_2, KEY_3, MANAGEMENT, MPL, \
    MPPUL, TARIFF_RATE, TEST, UNITS

# Names by class, indexed by subclass (token.SUBCLASSES counts them).
TYPES = (
    ("electricity_credit", "water_credit", "gas_credit", "time_credit",
     "electricity_currency", "water_currency", "gas_currency", "time_currency"),
    ("test_display_1", "test_display_2"),
    ("max_power_limit", "clear_credit", "tariff_rate", "key_change_1", "key_change_2",
     "clear_tamper", "max_phase_power_unbalance_limit", "water_meter_factor",
     "key_change_3", "key_change_4"),
)


def type_name(tok):
    """The token's type name (None for class 3 or an unknown subclass)."""
    names = TYPES[tok.cls] if tok.cls < 3 else ()
    return names[tok.sub] if tok.sub < len(names) else None


def has_tid(tok):
    """Class 0, and class 2 subclasses 0, 1, 2, 5, 6, 7 carry RND, TID and a 16-bit value."""
    return tok.cls == CREDIT or (tok.cls == MANAGEMENT and tok.sub in (0, 1, 2, 5, 6, 7))


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
    d = {"class": tok.cls, "subclass": tok.sub, "type": type_name(tok)}
    sub = tok.sub
    if tok.cls == TEST:
        d["control"] = control(tok)
        d["mfr_code"] = tok.mfr_code
    elif has_tid(tok):
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
