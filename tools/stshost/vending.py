"""Building tokens, the vending side of the layouts: host only (a meter never loads it).

Each builder returns a Token; `encode` seals, encrypts and prints it.
"""

from stsmeter.sts import crc16
from stsmeter.sts.token import MANAGEMENT, TEST, Token

# ClearCredit register codes (spec 10.2 [U]; 0xFFFF = all)
REGISTERS = ("electricity", "water", "gas", "time", "electricity_currency",
             "water_currency", "gas_currency", "time_currency")


def _start(cls, sub, nibble):
    tok = Token()
    tok.cls = cls
    tok.block[0] = (sub << 4) | (nibble & 15)
    return tok


def tid_token(cls, sub, rnd, tid, field):
    """Layout "TID" (spec 4.1): class 0, or class 2 subclasses 0, 1, 2, 5, 6, 7."""
    tok = _start(cls, sub, rnd)
    tok.block[1:6] = bytes(((tid >> 16) & 0xFF, (tid >> 8) & 0xFF, tid & 0xFF,
                            field >> 8, field & 0xFF))
    return tok


def test_token(sub, control, mfr_code):
    """Class 1: sub 0 = 36-bit Control + 2-digit MfrCode, sub 1 = 28-bit + 4-digit."""
    bits, mfr_max = (36, 99) if sub == 0 else (28, 9999)
    if sub not in (0, 1) or not 0 <= control < (1 << bits) or not 0 <= mfr_code <= mfr_max:
        raise ValueError("control or manufacturer code out of range")
    tok = Token()
    tok.cls = TEST
    v = (sub << 60) | (control << (60 - bits)) | (mfr_code << 16)
    tok.block[:] = v.to_bytes(8, "big")
    return tok


def key_section(sub, nibble, byte1, key_bytes):
    """Key change section: sub 3/4/8/9, block bits 59..56 and 55..48, 32 key bits."""
    tok = _start(MANAGEMENT, sub, nibble)
    tok.block[1] = byte1
    tok.block[2:6] = key_bytes
    return tok


def seal_crc(cls, block, currency=False):
    """Write the CRC into block bytes 6..7 (crc16.py)."""
    crc = crc16.register(cls, block, currency)
    block[6] = crc & 0xFF
    block[7] = crc >> 8


def to_digits(block, cls):
    """The 20-digit token (str) for a 64-bit block (bytes-like, 8 bytes) and class 0..3."""
    t1 = (block[4] << 8) | block[5]
    t4 = (t1 >> 11) & 3
    t1 = (t1 & 0xE7FF) | (cls << 11)
    limbs = [t4, (block[0] << 8) | block[1], (block[2] << 8) | block[3], t1,
             (block[6] << 8) | block[7]]
    groups = []
    for _ in range(5):  # five base-10000 groups, least significant first
        rem = 0
        for i in range(5):
            x = (rem << 16) | limbs[i]
            limbs[i] = x // 10000
            rem = x % 10000
        groups.append("%04d" % rem)
    groups.reverse()
    return "".join(groups)


def encode(tok, cipher=None):
    """Seal the CRC (CRC_C for currency), encrypt (class 0 and 2), return the 20 digits."""
    seal_crc(tok.cls, tok.block, tok.currency)
    block = bytearray(tok.block)
    if tok.cls != TEST:
        cipher.encrypt(block)
    return to_digits(block, tok.cls)
