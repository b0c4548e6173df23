"""A bounded log of what happened: tokens and their results, relay changes, tampers,
power-ups.

Fixed-size entries in a preallocated ring (the oldest is overwritten), persisted with the
rest of the state. Entry: meter time (s), kind, code, value. The lifetime count of
power-ups is kept beside the ring (after it in the record, so that a record saved before
the count existed still loads, as 0), and each start logs POWER_ON with it.
"""

import struct

from micropython import const

TOKEN = const(1)  # code: result index (results.RESULTS), value: amount in 0.1 units
RELAY = const(2)  # code: 1 closed / 0 open, value: reason index (meter.REASONS)
TAMPER = const(3)  # code: tamper reason
POWER_ON = const(4)  # value: lifetime power-up count, this one included
EMERGENCY = const(5)  # value: Wh of emergency credit taken
KEY_CHANGED = const(6)  # code: new KRN, value: 1 if the TID store was rolled over

KINDS = tuple(["", "token", "relay", "tamper", "power_on", "emergency_credit", "key_changed"])
# (built from a list: a tuple literal of strings takes more RAM: stsmeter/__init__.py)
_ENTRY = "<IBBI"
_SIZE = const(10)


class EventLog:
    def __init__(self, size=16):
        self.size = size
        self.head = 0  # next slot to write
        self.count = 0
        self.power_ups = 0  # lifetime, persisted
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
        return 3 + len(self._buf) + 4

    def save(self, buf, off):
        buf[off], buf[off + 1], buf[off + 2] = self.size, self.head, self.count
        end = off + 3 + len(self._buf)
        buf[off + 3 : end] = self._buf
        buf[end : end + 4] = self.power_ups.to_bytes(4, "little")

    def load(self, buf, off):
        size, head, count = buf[off], buf[off + 1], buf[off + 2]
        end = off + 3 + _SIZE * size
        if size == self.size:
            self.head, self.count = head, count
            self._buf[:] = buf[off + 3 : end]
        if len(buf) >= end + 4:
            self.power_ups = int.from_bytes(buf[end : end + 4], "little")
        return end + 4 - off
