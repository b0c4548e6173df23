"""The meter's persistent record: its layout, and saving it.

Payload: the sealed key record (decoder key and key data, AES-CBC + CMAC under the device
key), then credit (debited ahead: credit.py), supply, lockout, pending key change, a few
result fields with the meter clock, the TID store, the event log with the lifetime
power-up count, and the sealed settings' digest (startup.seal; zeros: none yet).
The store (store.py, journal.py) wraps it in an authenticated record: 500 bytes with the
default settings, 3 more per TID above 50 and 10 more per log entry above 16
(meterjson.SETTINGS). Fields added at the end load as absent from an older record.
Loading it at start (and provisioning, and recovery from a forged state): jobs/startup.py
and jobs/load_state.py; the sealed key record: jobs/key_record.py.
"""

import struct

SEALED = 16 + 32 + 16  # the sealed key record: IV, ciphertext, CMAC
MISC_FMT = "<BbBII"  # tamper, last result, last unit, last amount, meter clock
# The meter clock stops here (meter.py): 2**30 - 2**20 s, about 34 years after
# provisioning, and never goes below 0. Every other time in the record (lockout and
# reconnection times, the first key change section, log entries) is the clock or at most
# a day later (the settings' maxima: 86400 s), so below 2**30: a small int on a board, and
# always a valid "I", packed and unpacked.
CLOCK_MAX = 0x3FF00000


def parts(m):
    return (m.credit, m.supply, m.lockout, m.kct)


def tids_at(m):
    """Where the TID store starts in the payload."""
    return SEALED + sum(p.SIZE for p in parts(m)) + struct.calcsize(MISC_FMT)


def _size(m):
    return tids_at(m) + m.tids.record_size() + m.log.record_size() + 8  # + m.digest


def save(m):
    """Persist the meter; returns bytes written."""
    buf = m.store.buffer(_size(m))  # the store's record buffer: nothing big allocated
    buf[0:SEALED] = m.sealed
    off = SEALED
    for part in parts(m):
        part.save(buf, off)
        off += part.SIZE
    struct.pack_into(MISC_FMT, buf, off, m.tamper, m.last_result, m.last_unit,
                     m.last_amount, max(0, min(m.now, CLOCK_MAX)))
    off += struct.calcsize(MISC_FMT)
    m.tids.save(buf, off)
    off += m.tids.record_size()
    m.log.save(buf, off)
    off += m.log.record_size()
    buf[off : off + 8] = m.digest or b"\0\0\0\0\0\0\0\0"  # sealed settings' (startup.seal)
    return m.store.save(buf)
