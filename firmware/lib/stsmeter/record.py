"""The meter's persistent record: its layout, and saving it.

Payload: the sealed key record (decoder key and key data, AES-CBC + CMAC under the device
key), then credit, supply, lockout, pending key change, a few result fields, the TID
store and the event log. The store (store.py) wraps it in an authenticated A/B record.
Loading it at start (and provisioning, and recovery from a forged state): startup.py;
the sealed key record: keyrecord.py.
"""

import struct

SEALED = 16 + 32 + 16  # the sealed key record: IV, ciphertext, CMAC
MISC_FMT = "<BbBII"  # tamper, last result, last unit, last amount, meter clock


def parts(m):
    return (m.credit, m.supply, m.lockout, m.kct)


def _size(m):
    fixed = SEALED + sum(p.SIZE for p in parts(m)) + struct.calcsize(MISC_FMT)
    return fixed + m.tids.record_size() + m.log.record_size()


def save(m):
    """Persist the meter; returns bytes written."""
    buf = bytearray(_size(m))
    buf[0:SEALED] = m.sealed
    off = SEALED
    for part in parts(m):
        part.save(buf, off)
        off += part.SIZE
    struct.pack_into(MISC_FMT, buf, off, m.tamper, m.last_result, m.last_unit,
                     m.last_amount, max(0, m.now))
    off += struct.calcsize(MISC_FMT)
    m.tids.save(buf, off)
    off += m.tids.record_size()
    m.log.save(buf, off)
    return m.store.save(buf)
