"""The token CRC (spec section 5): CRC-16/MODBUS over the class and block bits 63..16.

Input is 7 bytes: the class, then block bytes 0..5; CRC_C (currency tokens, class 0
subclasses 4..7) appends one byte 0x01. The register is byte-swapped into the field, so
block byte 6 holds the register's low byte and byte 7 its high byte. (Writing it, for
vending: vending.seal_crc.)
"""

from array import array


def _make_table():
    table = array("H", bytes(512))
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table[n] = crc
    return table


_TABLE = _make_table()


def register(cls, block, currency=False):
    """The 16-bit CRC register over (class, block[0:6]) [+ 0x01 for CRC_C]."""
    t = _TABLE
    crc = t[0xFF ^ cls] ^ 0xFF  # first step from the initial register 0xFFFF
    for i in range(6):
        crc = t[(crc ^ block[i]) & 0xFF] ^ (crc >> 8)
    if currency:
        crc = t[(crc ^ 1) & 0xFF] ^ (crc >> 8)
    return crc


def check(cls, block, currency=False):
    """True when block bytes 6..7 hold the right CRC for this class."""
    crc = register(cls, block, currency)
    return block[6] == crc & 0xFF and block[7] == crc >> 8
