"""A token's 64-bit data block and its layout per class and subclass (spec section 4).

`Token` holds the plain block (8 bytes, big-endian) with the class, and reads every field
straight from the bytes, so a decoder can reuse one Token for every entry without
allocating. Fields wider than 30 bits (class 1 control, key sections) are kept as bytes
or built only when asked for. The `set_*` methods write the same layouts (vending side).
"""

from micropython import const

from . import amount, crc16, digits, tid

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

# Names by class, indexed by subclass; a subclass past the end is unknown (function error).
TYPES = (
    ("electricity_credit", "water_credit", "gas_credit", "time_credit",
     "electricity_currency", "water_currency", "gas_currency", "time_currency"),
    ("test_display_1", "test_display_2"),
    ("max_power_limit", "clear_credit", "tariff_rate", "key_change_1", "key_change_2",
     "clear_tamper", "max_phase_power_unbalance_limit", "water_meter_factor",
     "key_change_3", "key_change_4"),
)
# Units of class 0 subclasses 0..3 (0.1 of these; time is [U]) and currency (0.00001).
UNITS = ("kWh", "m3", "m3", "min", "currency")
# ClearCredit register codes (spec 10.2 [U]; 0xFFFF = all)
REGISTERS = ("electricity", "water", "gas", "time", "electricity_currency",
             "water_currency", "gas_currency", "time_currency")
ALL_REGISTERS = const(0xFFFF)


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
    def type(self):
        names = TYPES[self.cls] if self.cls < 3 else ()
        return names[self.sub] if self.sub < len(names) else None

    @property
    def has_tid(self):
        """Class 0, and class 2 subclasses 0, 1, 2, 5, 6, 7 carry RND, TID and a 16-bit value."""
        return self.cls == CREDIT or (self.cls == MANAGEMENT and self.sub in (0, 1, 2, 5, 6, 7))

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
        if self.currency:
            return amount.decode_currency(self.field, self.rnd)
        return amount.decode(self.field)

    # --- class 1 (spec 4.2): 2-digit MfrCode (sub 0) or 4-digit (sub 1) ---
    @property
    def mfr_code(self):
        b = self.block
        return b[5] if self.sub == 0 else (b[4] << 8) | b[5]

    def control(self):
        """The Control bit mask (36 or 28 bits; above 2**30 it is a heap int on a board)."""
        b = self.block
        hi = (b[0] & 15) << 24 | b[1] << 16 | b[2] << 8 | b[3]  # block bits 59..32
        return (hi << 8 | b[4]) if self.sub == 0 else hi

    def control_bit(self, n):
        """Control bit n, read from the bytes without building the whole mask."""
        k = n + (24 if self.sub == 0 else 32)  # block bit number of control bit 0
        return (self.block[7 - (k >> 3)] >> (k & 7)) & 1

    # --- key change sections (spec 4.3) ---
    @property
    def key_section(self):
        """The 32 key bits of a key change token (block bits 47..16), as 4 bytes."""
        return bytes(self.block[2:6])

    @property
    def ken_nibble(self):  # KENHO (section 1) or KENLO (section 2)
        return self.block[0] & 15

    @property
    def krn(self):
        return self.block[1] >> 4

    @property
    def ro(self):
        return (self.block[1] >> 3) & 1

    @property
    def res(self):  # bit 50: 3KCT for 64-bit sets, reserved for 128-bit sets
        return (self.block[1] >> 2) & 1

    @property
    def kt(self):
        return self.block[1] & 3

    @property
    def ti(self):
        return self.block[1]

    @property
    def sgc_part(self):  # SGCLO (section 3) or SGCHO (section 4), 12 bits
        return (self.block[0] & 15) << 8 | self.block[1]

    # --- writing layouts (vending side) ---
    def _start(self, cls, sub, nibble):
        self.cls = cls
        b = self.block
        for i in range(8):
            b[i] = 0
        b[0] = (sub << 4) | (nibble & 15)
        return b

    def set_tid_layout(self, cls, sub, rnd, tid_, field):
        b = self._start(cls, sub, rnd)
        b[1] = (tid_ >> 16) & 0xFF
        b[2] = (tid_ >> 8) & 0xFF
        b[3] = tid_ & 0xFF
        b[4] = field >> 8
        b[5] = field & 0xFF

    def set_test(self, sub, control, mfr_code):
        """Class 1: sub 0 = 36-bit Control + 2-digit MfrCode, sub 1 = 28-bit + 4-digit."""
        bits, mfr_max = (36, 99) if sub == 0 else (28, 9999)
        if sub not in (0, 1) or not 0 <= control < (1 << bits) or not 0 <= mfr_code <= mfr_max:
            raise ValueError("control or manufacturer code out of range")
        self.cls = TEST
        v = (sub << 60) | (control << (60 - bits)) | (mfr_code << 16)
        self.block[:] = v.to_bytes(8, "big")

    def set_key_section(self, sub, nibble, byte1, key_bytes):
        """Key change section: sub 3/4/8/9, block bits 59..56 and 55..48, 32 key bits."""
        b = self._start(MANAGEMENT, sub, nibble)
        b[1] = byte1
        b[2:6] = key_bytes

    def seal(self):
        """Write the CRC (CRC_C for currency tokens)."""
        crc16.seal(self.cls, self.block, self.currency)

    def encode(self, cipher=None):
        """Seal, encrypt (class 0 and 2) and return the 20 digits (vending side)."""
        self.seal()
        block = bytearray(self.block)
        if self.cls != TEST:
            cipher.encrypt(block)
        return digits.from_block(block, self.cls)

    # --- description for hosts and logs (allocates; not for the board's hot path) ---
    def as_dict(self, base_year):
        d = {"class": self.cls, "subclass": self.sub, "type": self.type}
        if self.cls == TEST:
            d["control"] = self.control()
            d["mfr_code"] = self.mfr_code
        elif self.has_tid:
            if not self.currency:  # currency tokens use these bits for sign and exponent
                d["rnd"] = self.rnd
            d["tid"] = self.tid
            d["issued"] = tid.iso(base_year, self.tid)
            sub = self.sub
            if self.cls == CREDIT:
                if self.currency:
                    d["amount"] = self.amount / 100000
                    d["unit"] = UNITS[4]
                else:
                    d["amount"] = self.amount / 10
                    d["unit"] = UNITS[sub]
            elif sub in (MPL, MPPUL):
                d["limit_w"] = self.amount
            elif sub == CLEAR_CREDIT:
                d["register"] = self.field
            elif sub == TARIFF_RATE:
                d["rate"] = self.field
            elif sub == CLEAR_TAMPER:
                d["pad"] = self.field
            else:
                d["factor"] = self.field
        else:
            sub = self.sub
            if sub == KEY_1:
                d.update(kenho=self.ken_nibble, krn=self.krn, ro=self.ro, res=self.res,
                         kt=self.kt)
            elif sub == KEY_2:
                d.update(kenlo=self.ken_nibble, ti=self.ti)
            else:
                d["sgclo" if sub == KEY_3 else "sgcho"] = self.sgc_part
            d["key_section"] = self.key_section.hex()
        d["block"] = self.block.hex()
        return d
