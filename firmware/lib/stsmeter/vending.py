"""Building tokens, the vending side of the layouts: host only (a meter never loads it).

Each builder returns a Token; `encode` seals, encrypts and prints it.
"""

from . import crc16, digits
from .token import MANAGEMENT, TEST, Token

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


def encode(tok, cipher=None):
    """Seal the CRC (CRC_C for currency), encrypt (class 0 and 2), return the 20 digits."""
    crc16.seal(tok.cls, tok.block, tok.currency)
    block = bytearray(tok.block)
    if tok.cls != TEST:
        cipher.encrypt(block)
    return digits.from_block(block, tok.cls)
