"""The meter's persistent record: its layout, and sealing the key record into it.

Payload: the sealed key record (decoder key and key data, AES-CBC + CMAC under the device
key), then credit, supply, lockout, pending key change, a few result fields, the TID
store and the event log. The store (store.py) wraps it in an authenticated A/B record.
Loading it at start (and provisioning, and recovery from a forged state): startup.py.
"""

import struct

from . import tid

KEY_FMT = "<BBBBBB3sB16s6x"  # ea, kt, krn, ti, ken, base index, sgc, key length, key
SEALED = 16 + 32 + 16  # IV, ciphertext, CMAC
MISC_FMT = "<BbBII"  # tamper, last result, last unit, last amount, meter clock
EAS = ("07", "11")


def parts(m):
    return (m.credit, m.supply, m.lockout, m.kct)


def _size(m):
    fixed = SEALED + sum(p.SIZE for p in parts(m)) + struct.calcsize(MISC_FMT)
    return fixed + m.tids.record_size() + m.log.record_size()


def _key_plain(m):
    return struct.pack(KEY_FMT, EAS.index(m.ea), m.kt, m.krn, m.ti, m.ken,
                       tid.BASE_YEARS.index(m.base_year), m.sgc.to_bytes(3, "big"),
                       len(m.key), bytes(m.key) + bytes(16 - len(m.key)))


def seal_key(m):
    """Seal the meter's current key record (after provisioning or a key change)."""
    m.sealed = m.sealer.seal(_key_plain(m), m.random_bytes(16))


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
