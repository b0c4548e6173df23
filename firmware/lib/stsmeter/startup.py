"""Starting the meter from its record: load it, or provision a new meter, or recover from a
forged state. Runs once per start (meter.py loads it, then releases it).

Recovery when a slot fails authentication (hand-edited, or deleted): the meter runs on
the newest genuine slot, at most one save old, with tamper set (relay open until a clear
tamper token). As that slot may lack the last token, every token issued before the
present time is then Old (TIDs read from a forged slot are kept too, being stricter).
With no genuine slot left it starts from nothing trusted: no credit, the same TID floor.
"""

import struct

from . import tid
from .record import EAS, KEY_FMT, MISC_FMT, SEALED, parts, save, seal_key


def _install_sealed(m, blob):
    """Install the key record in a sealed blob; False if it is not genuine."""
    plain = m.sealer.unseal(blob)
    if plain is None:
        return False
    ea, kt, krn, ti, ken, base, sgc, n, key = struct.unpack(KEY_FMT, plain)
    m.install_key(EAS[ea], key[:n], kt, krn, ti, ken, int.from_bytes(sgc, "big"),
                  tid.BASE_YEARS[base])
    m.sealed = blob
    return True


def _unpack(m, payload):
    """Load a genuine payload into the meter; False if it does not fit this layout."""
    if len(payload) < SEALED or not _install_sealed(m, payload[:SEALED]):
        return False
    off = SEALED
    for part in parts(m):
        part.load(payload, off)
        off += part.SIZE
    m.tamper, m.last_result, m.last_unit, m.last_amount, clock = struct.unpack_from(
        MISC_FMT, payload, off)
    m.now = max(m.now, clock)  # the clock never runs back across a restart
    off += struct.calcsize(MISC_FMT)
    off += m.tids.load(payload, off)
    m.log.load(payload, off)
    return True


def _forged_tids(m, payload):
    """TIDs in a forged payload, read with this layout (empty if it does not fit)."""
    off = SEALED + sum(p.SIZE for p in parts(m)) + struct.calcsize(MISC_FMT)
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
            if len(forged) >= SEALED and _install_sealed(m, forged[:SEALED]):
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
