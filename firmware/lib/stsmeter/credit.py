"""Credit registers, how energy use spends them, emergency credit, and debit-ahead.

Electricity credit is held in whole Wh (tokens bring 0.1 kWh = 100 Wh steps); energy used
accumulates in joules and is billed one Wh at a time, so the register only ever holds
what is still paid for. Water and gas registers count 0.1 m3. Every value stays below
2**30 on a board: the registers are capped by `limit`, and a token that would pass it is
refused as overflow.

Debit-ahead (the setting debit_ahead_wh): the credit in RAM is billed Wh by Wh,
but the credit in flash goes down a chunk at a time, ahead of use. When energy starts being
drawn a chunk is reserved (the chunk, or the credit if less), and a save then holds the
credit minus the unspent part of the reserved chunk (and counts that part as used), as if
the whole chunk were spent already. When the chunk is used up the next one is reserved
(consume() says the state must be saved now). A power cut at any instant therefore never
loses consumption: it costs the customer at most the unspent part of one chunk, and the
utility nothing. A record loads as the saved (debited) credit with no chunk reserved.
"""

import struct

from micropython import const

ELECTRICITY = const(0)
WATER = const(1)
GAS = const(2)
J_PER_WH = const(3600)
FOREVER = const(1 << 29)  # "no end in sight", in seconds

_FMT = "<IHIIII"  # Wh, J pending, water, gas, emergency credit owed (Wh), lifetime Wh used
_WRAP = const(0x3FFFFFFF)


class Credit:
    def __init__(self, limit_wh=999999900, limit_units=9999999, low_wh=2000, emergency_wh=5000,
                 debit_ahead_wh=100):
        self.limit_wh = limit_wh  # 999 999.9 kWh
        self.limit_units = limit_units  # 999 999.9 m3
        self.low_wh = low_wh
        self.emergency_wh = emergency_wh
        self.debit_ahead_wh = debit_ahead_wh  # the chunk
        self.wh = 0
        self.frac_j = 0
        self.reserved_wh = 0  # unspent part of the reserved chunk (already debited in flash)
        self.water = 0
        self.gas = 0
        self.owed_wh = 0  # emergency credit taken and not yet repaid
        self.used_wh = 0  # lifetime energy billed (wraps at 2**30 Wh = 1 GWh)

    def add(self, register, tenths):
        """Add a credit token's amount (0.1 kWh or 0.1 m3). False when it would overflow.

        Emergency credit taken earlier is repaid from an electricity token first.
        """
        if register == ELECTRICITY:
            if tenths > (self.limit_wh - self.wh + self.owed_wh) // 100:
                return False
            wh = tenths * 100
            repay = min(wh, self.owed_wh)
            self.owed_wh -= repay
            self.wh += wh - repay
            return True
        value = self.water if register == WATER else self.gas
        if tenths > self.limit_units - value:
            return False
        if register == WATER:
            self.water += tenths
        else:
            self.gas += tenths
        return True

    def clear(self, register):
        """ClearCredit for one register (electricity also forgets emergency credit owed)."""
        if register == ELECTRICITY:
            self.wh = 0
            self.frac_j = 0
            self.owed_wh = 0
            self.reserved_wh = 0
        elif register == WATER:
            self.water = 0
        else:
            self.gas = 0

    def consume(self, joules):
        """Energy used: bill whole Wh from the credit, out of the reserved chunk (reserved
        first if none is). True when the state must be saved now: a chunk was reserved, the
        chunk was used up and the next one reserved (at the point the energy drawn has
        reached, as if each chunk had been reserved in turn), or the credit ran out."""
        chunk = self.debit_ahead_wh
        save = False
        if joules > 0 and self.wh and not self.reserved_wh:  # energy starts being drawn
            self.reserved_wh = min(chunk, self.wh)
            save = True
        self.frac_j += joules
        n = min(self.frac_j // J_PER_WH, self.wh)
        if n:
            self.wh -= n
            self.used_wh = (self.used_wh + n) & _WRAP
            self.frac_j -= n * J_PER_WH
            if n < self.reserved_wh:
                self.reserved_wh -= n
            else:  # used up: the next chunk
                self.reserved_wh = min(chunk - (n - self.reserved_wh) % chunk, self.wh)
                save = True
        if not self.wh:
            self.frac_j = min(self.frac_j, J_PER_WH - 1)
            self.reserved_wh = 0
        return save

    def seconds_left(self, watts, floor_wh=0):
        """Seconds until the credit is down to floor_wh at this load (FOREVER: far off)."""
        above = self.wh - floor_wh
        if above <= 0:
            return 0
        if watts <= 0:
            return FOREVER
        q, r = divmod(above, watts)  # (above * 3600 - frac) / watts, kept below 2**30
        if q >= FOREVER // J_PER_WH:
            return FOREVER
        return q * J_PER_WH + (r * J_PER_WH - self.frac_j + watts - 1) // watts

    def low(self):
        return self.wh < self.low_wh

    def take_emergency(self):
        """Emergency credit, once per low-credit spell: False if not low or already owed."""
        if not self.emergency_wh or self.owed_wh or not self.low():
            return False
        self.wh += self.emergency_wh
        self.owed_wh = self.emergency_wh
        return True

    SIZE = struct.calcsize(_FMT)

    def save(self, buf, off):
        """The credit as a power cut must leave it: the reserved chunk all spent (its
        pending joules with it)."""
        r = self.reserved_wh
        struct.pack_into(_FMT, buf, off, self.wh - r, 0 if r else self.frac_j, self.water,
                         self.gas, self.owed_wh, (self.used_wh + r) & _WRAP)

    def load(self, buf, off):
        (self.wh, self.frac_j, self.water, self.gas, self.owed_wh,
         self.used_wh) = struct.unpack_from(_FMT, buf, off)
        self.reserved_wh = 0
