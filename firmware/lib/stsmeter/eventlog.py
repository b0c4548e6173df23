"""A bounded log of what happened: tokens and their results, relay changes, tampers.

Fixed-size entries in a preallocated ring (the oldest is overwritten), persisted with the
rest of the state. Entry: meter time (s), kind, code, value.
"""

import struct

from micropython import const

TOKEN = const(1)  # code: result index (results.RESULTS), value: amount in 0.1 units
RELAY = const(2)  # code: 1 closed / 0 open, value: reason index (meter.REASONS)
TAMPER = const(3)  # code: tamper reason
POWER_ON = const(4)
EMERGENCY = const(5)  # value: Wh of emergency credit taken
KEY_CHANGED = const(6)  # code: new KRN, value: 1 if the TID store was rolled over

KINDS = ("", "token", "relay", "tamper", "power_on", "emergency_credit", "key_changed")
_ENTRY = "<IBBI"
_SIZE = const(10)


class EventLog:
    def __init__(self, size=16):
        self.size = size
        self.head = 0  # next slot to write
        self.count = 0
        self._buf = bytearray(_SIZE * size)

    def add(self, now, kind, code=0, value=0):
        struct.pack_into(_ENTRY, self._buf, _SIZE * self.head, max(0, now), kind, code, value)
        self.head = (self.head + 1) % self.size
        self.count = min(self.count + 1, self.size)

    def entries(self):
        """(time, kind, code, value) tuples, oldest first (allocates: for display/host)."""
        first = (self.head - self.count) % self.size
        return [struct.unpack_from(_ENTRY, self._buf, _SIZE * ((first + i) % self.size))
                for i in range(self.count)]

    def record_size(self):
        return 3 + len(self._buf)

    def save(self, buf, off):
        buf[off], buf[off + 1], buf[off + 2] = self.size, self.head, self.count
        buf[off + 3 : off + 3 + len(self._buf)] = self._buf

    def load(self, buf, off):
        size, head, count = buf[off], buf[off + 1], buf[off + 2]
        if size == self.size:
            self.head, self.count = head, count
            self._buf[:] = buf[off + 3 : off + 3 + len(self._buf)]
        return 3 + _SIZE * size
