"""20 decimal digits -> 66-bit token number, and the class bits (spec sections 2 and 3;
the other way, for vending: vending.to_digits).

The 66-bit number T never exists as one Python int: on a 32-bit board anything from 2**30
up is a heap object. It is built in five 16-bit limbs, four digits at a time, and the
64-bit block comes out as 8 big-endian bytes.

Transposition [V]: T bits 28..27 hold the class; the block bits that belong there travel
in T bits 65..64.
"""

from micropython import const

_ZERO4 = const(53328)  # ord("0") * 1111: the four ASCII '0's of a group
BAD_DIGITS = const(-1)  # not exactly 20 characters '0'..'9'
TOO_BIG = const(-2)  # T >= 2**66


def to_block(digits, block):
    """Parse 20 ASCII digits (bytes-like) into `block` (bytearray(8)).

    Returns the token class 0..3, or BAD_DIGITS / TOO_BIG. Allocates nothing.
    """
    if len(digits) != 20:
        return BAD_DIGITS
    for i in range(20):  # indexing, not iterating: an iterator would be a heap object
        if not 48 <= digits[i] <= 57:
            return BAD_DIGITS
    t4 = t3 = t2 = t1 = t0 = 0  # limbs, t0 = bits 15..0, t4 = bits 79..64
    for g in range(0, 20, 4):
        x = digits[g] * 1000 + digits[g + 1] * 100 + digits[g + 2] * 10 + digits[g + 3] - _ZERO4
        x += t0 * 10000
        t0 = x & 0xFFFF
        x = (x >> 16) + t1 * 10000
        t1 = x & 0xFFFF
        x = (x >> 16) + t2 * 10000
        t2 = x & 0xFFFF
        x = (x >> 16) + t3 * 10000
        t3 = x & 0xFFFF
        t4 = (x >> 16) + t4 * 10000
    if t4 > 3:
        return TOO_BIG
    # class = T bits 28..27 = bits 12..11 of limb t1; E bits 28..27 = T bits 65..64
    cls = (t1 >> 11) & 3
    t1 = (t1 & 0xE7FF) | (t4 << 11)
    block[0] = t3 >> 8
    block[1] = t3 & 0xFF
    block[2] = t2 >> 8
    block[3] = t2 & 0xFF
    block[4] = t1 >> 8
    block[5] = t1 & 0xFF
    block[6] = t0 >> 8
    block[7] = t0 & 0xFF
    return cls
