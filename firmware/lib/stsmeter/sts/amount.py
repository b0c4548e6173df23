"""The 16-bit amount field: 2-bit exponent, 14-bit mantissa (spec section 6).

t = m * 10**e + sum(2**14 * 10**(n-1) for n in 1..e); the largest t is 18 201 624, well
below 2**30, so every value here is a small int on a board. Used for credit amounts (in
0.1 units) and for power limits (in W).
"""

from micropython import const

MAX = const(18201624)
# offset of each exponent's range: sum(2**14 * 10**(n-1) for n in 1..e)
_OFFSET = (0, 16384, 180224, 1818624)
_SCALE = (1, 10, 100, 1000)


def decode(field):
    """Field (0..0xFFFF) -> whole number of base units. Exact; no rounding on the meter."""
    e = field >> 14
    return (field & 0x3FFF) * _SCALE[e] + _OFFSET[e]


def encode(t):
    """Base units -> field, rounding the mantissa up (never less than paid for).

    Returns -1 when t is negative or above MAX.
    """
    if t < 0 or t > MAX:
        return -1
    for e in range(4):
        m = -(-max(0, t - _OFFSET[e]) // _SCALE[e])
        if m <= 0x3FFF:
            return (e << 14) | m
    return -1


def decode_currency(field, rnd):
    """Currency tokens (class 0 subclasses 4..7, spec 6.4 [P]/[U]).

    The exponent has 5 bits: e0, e1 from field bits 14, 15 and e2..e4 from RND bits 0..2;
    RND bit 3 is the sign. Returns the signed amount in 0.00001 currency units. Large
    exponents give very large numbers (a heap int on a board); callers treat those as
    out of range.
    """
    e = (field >> 14) | ((rnd & 7) << 2)
    t = (field & 0x3FFF) * 10**e
    for n in range(1, e + 1):
        t += 16384 * 10 ** (n - 1)
    return -t if rnd & 8 else t


def encode_currency(t):
    """Signed 0.00001-unit amount -> (field, rnd high bits) with the smallest exponent.

    Returns (field, rnd) where only rnd bits 0..3 are set (exponent bits and sign), or
    None when the amount cannot be encoded.
    """
    sign = 8 if t < 0 else 0
    t = -t if t < 0 else t
    off = 0
    for e in range(32):
        if e:
            off += 16384 * 10 ** (e - 1)
        m = -(-max(0, t - off) // 10**e)
        if m <= 0x3FFF:
            return ((e & 3) << 14) | m, sign | (e >> 2)
    return None
