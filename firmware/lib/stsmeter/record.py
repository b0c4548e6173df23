"""The meter's persistent record: its layout, first provisioning, and forged-state recovery.

Payload: the sealed key record (decoder key and key data, AES-CBC + CMAC under the device
key), then credit, supply, lockout, pending key change, a few result fields, the TID
store and the event log. The store (store.py) wraps it in an authenticated A/B record.

Recovery when a slot fails authentication (hand-edited, or deleted): the meter runs on
the newest genuine slot, at most one save old, with tamper set (relay open until a clear
tamper token). As that slot may lack the last token, every token issued before the
present time is then Old (TIDs read from a forged slot are kept too, being stricter).
With no genuine slot left it starts from nothing trusted: no credit, the same TID floor.
"""

import struct

from . import tid

_KEY_FMT = "<BBBBBB3sB16s6x"  # ea, kt, krn, ti, ken, base index, sgc, key length, key
_SEALED = 16 + 32 + 16  # IV, ciphertext, CMAC
_MISC_FMT = "<BbBII"  # tamper, last result, last unit, last amount, meter clock
_EAS = ("07", "11")


def _parts(m):
    return (m.credit, m.supply, m.lockout, m.kct)


def _size(m):
    fixed = _SEALED + sum(p.SIZE for p in _parts(m)) + struct.calcsize(_MISC_FMT)
    return fixed + m.tids.record_size() + m.log.record_size()


def _key_plain(m):
    return struct.pack(_KEY_FMT, _EAS.index(m.ea), m.kt, m.krn, m.ti, m.ken,
                       tid.BASE_YEARS.index(m.base_year), m.sgc.to_bytes(3, "big"),
                       len(m.key), bytes(m.key) + bytes(16 - len(m.key)))


def _install_sealed(m, blob):
    """Install the key record in a sealed blob; False if it is not genuine."""
    plain = m.sealer.unseal(blob)
    if plain is None:
        return False
    ea, kt, krn, ti, ken, base, sgc, n, key = struct.unpack(_KEY_FMT, plain)
    m.install_key(_EAS[ea], key[:n], kt, krn, ti, ken, int.from_bytes(sgc, "big"),
                  tid.BASE_YEARS[base])
    m.sealed = blob
    return True


def seal_key(m):
    """Seal the meter's current key record (after provisioning or a key change)."""
    m.sealed = m.sealer.seal(_key_plain(m), m.random_bytes(16))


def save(m):
    """Persist the meter; returns bytes written."""
    buf = bytearray(_size(m))
    buf[0:_SEALED] = m.sealed
    off = _SEALED
    for part in _parts(m):
        part.save(buf, off)
        off += part.SIZE
    struct.pack_into(_MISC_FMT, buf, off, m.tamper, m.last_result, m.last_unit,
                     m.last_amount, max(0, m.now))
    off += struct.calcsize(_MISC_FMT)
    m.tids.save(buf, off)
    off += m.tids.record_size()
    m.log.save(buf, off)
    return m.store.save(buf)


def _unpack(m, payload):
    """Load a genuine payload into the meter; False if it does not fit this layout."""
    if len(payload) < _SEALED or not _install_sealed(m, payload[:_SEALED]):
        return False
    off = _SEALED
    for part in _parts(m):
        part.load(payload, off)
        off += part.SIZE
    m.tamper, m.last_result, m.last_unit, m.last_amount, clock = struct.unpack_from(
        _MISC_FMT, payload, off)
    m.now = max(m.now, clock)  # the clock never runs back across a restart
    off += struct.calcsize(_MISC_FMT)
    off += m.tids.load(payload, off)
    m.log.load(payload, off)
    return True


def _forged_tids(m, payload):
    """TIDs in a forged payload, read with this layout (empty if it does not fit)."""
    off = _SEALED + sum(p.SIZE for p in _parts(m)) + struct.calcsize(_MISC_FMT)
    try:
        count = payload[off]
        return [int.from_bytes(payload[off + 2 + 3 * i : off + 5 + 3 * i], "big")
                for i in range(count)]
    except IndexError:
        return []


def _provision(m, cfg, tid_floor_at):
    """Key data from the provisioning file, no credit, TID store filled at a time."""
    if cfg.key is None:
        raise ValueError("meter.json has no decoder_key and there is no state to load")
    m.install_key(cfg.ea, cfg.key, cfg.kt, cfg.krn, cfg.ti, cfg.ken, cfg.sgc, cfg.base_year)
    seal_key(m)
    m.tids.fill(cfg.tid_at(tid_floor_at, m.base_year))


def boot(m):
    """Load the state, or provision a new meter, or recover from a forged state."""
    found = m.store.load()
    if found.payload is not None and _unpack(m, found.payload):
        pass
    elif found.payload is None and not found.tamper:
        _provision(m, m.cfg, 0)  # first start, at meter time 0
        save(m)
        return
    else:  # nothing genuine left
        found.tamper = True
        for forged in found.forged:
            if len(forged) >= _SEALED and _install_sealed(m, forged[:_SEALED]):
                m.tids.fill(m.cfg.tid_at(m.now, m.base_year))
                break
        else:
            _provision(m, m.cfg, m.now)
    if found.tamper:
        for forged in found.forged:
            for t in _forged_tids(m, forged):
                if not m.tids.used(t) and not m.tids.old(t):
                    m.tids.insert(t)
        # the genuine slot may be one save behind: whatever was issued until now is Old
        m.tids.raise_floor(m.cfg.tid_at(m.now, m.base_year))
        m.set_tamper(1)  # meter.TAMPER_FORGED (meter imports this module)
        save(m)
    m.lockout.until = m.now + m.lockout.remaining(m.now)  # a clock set back cannot stretch
    m.supply.clamp(m.now)
