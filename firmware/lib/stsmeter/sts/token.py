"""A token's 64-bit data block and its layout per class and subclass (spec section 4).

`Token` holds the plain block (8 bytes, big-endian) with the class, and reads the fields
the meter needs straight from the bytes, so a decoder can reuse one Token for every entry
without allocating. The host-side modules describe.py (names, every field, as a dict) and
vending.py (building tokens) read and write the same layouts; a board never loads them.
"""

from micropython import const

# Token classes (spec 3)
CREDIT = const(0)
TEST = const(1)
MANAGEMENT = const(2)

# Class 2 subclasses (spec 4.1, 4.3)
MPL = const(0)
CLEAR_CREDIT = const(1)
TARIFF_RATE = const(2)
KEY_1 = const(3)
KEY_2 = const(4)
CLEAR_TAMPER = const(5)
MPPUL = const(6)
WATER_FACTOR = const(7)
KEY_3 = const(8)
KEY_4 = const(9)

# Subclasses per class; one past the end is unknown (function error). Names: describe.TYPES.
SUBCLASSES = (8, 2, 10)
# Units of class 0 subclasses 0..3 (0.1 of these; time is [U]) and currency (0.00001).
UNITS = tuple(["kWh", "m3", "m3", "min", "currency"])  # (a list: see stsmeter.RESULTS)
ALL_REGISTERS = const(0xFFFF)  # ClearCredit register code for every register


class Token:
    """One token: `cls`, the plain `block`, the fields of its layout, and `error`."""

    def __init__(self):
        self.block = bytearray(8)
        self.cls = 0
        self.error = None  # set by the decoder: None, "format", "crc" or "function"
        self.detail = ""

    # --- fields common to every layout ---
    @property
    def sub(self):
        return self.block[0] >> 4

    @property
    def currency(self):
        """Class 0 subclasses 4..7: currency credit with CRC_C (spec 6.4 [P])."""
        return self.cls == CREDIT and 4 <= self.sub <= 7

    # --- layout "TID" (spec 4.1) ---
    @property
    def rnd(self):
        return self.block[0] & 15

    @property
    def tid(self):
        b = self.block
        return (b[1] << 16) | (b[2] << 8) | b[3]

    @property
    def field(self):
        return (self.block[4] << 8) | self.block[5]

    @property
    def amount(self):
        """Class 0: credit in base units (0.1 kWh, 0.1 m3, 0.1 min; currency 0.00001).

        Class 2 MPL / MPPUL: the limit in W. Same exponent/mantissa code (spec 6).
        """
        from . import amount  # not needed to decode: loaded when the amount is read

        if self.currency:
            return amount.decode_currency(self.field, self.rnd)
        return amount.decode(self.field)

    # --- class 1 (spec 4.2): 2-digit MfrCode (sub 0) or 4-digit (sub 1) ---
    @property
    def mfr_code(self):
        b = self.block
        return b[5] if self.sub == 0 else (b[4] << 8) | b[5]

    def control_bit(self, n):
        """Control bit n, read from the bytes without building the whole mask."""
        k = n + (24 if self.sub == 0 else 32)  # block bit number of control bit 0
        return (self.block[7 - (k >> 3)] >> (k & 7)) & 1

    # --- key change sections (spec 4.3): the meter reads them in jobs/key_change.py ---
    @property
    def res(self):
        """Block bit 50 of section 1: 3KCT for 64-bit sets, reserved for 128-bit sets."""
        return (self.block[1] >> 2) & 1
