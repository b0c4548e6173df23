"""Starting the meter from its record: load it, or provision a new meter, or recover from a
forged state. Runs once per start (meter.py loads it, then releases it).

Recovery when a slot fails authentication (hand-edited, or deleted): the meter runs on
the newest genuine slot, at most one save old, with tamper set (relay open until a clear
tamper token). As that slot may lack the last token, every token issued before the
present time is then Old (TIDs read from a forged slot are kept too, being stricter).
With no genuine slot left it starts from nothing trusted: no credit, the same TID floor.
"""

import struct

from . import clock, keyrecord
from .store import HEAD, HEAD_SIZE, MAC_SIZE, MAGIC, MARKER, SLOTS, VERSION
from .record import MISC_FMT, SEALED, parts, save


class _Found:
    """What load() found: the newest genuine payload, and whether anything was forged."""

    def __init__(self):
        self.payload = None
        self.seq = 0
        self.tamper = False
        self.forged = []  # payloads of slots that failed authentication (untrusted)


def load(store):
    """The newest genuine slot of a Store, and what was forged (see store.py)."""
    found = _Found()
    present = 0
    for name in SLOTS:
        raw = store.files.read(store.path(name))
        if raw is None:
            continue
        present += 1
        seq, payload, genuine = _parse(store, raw)
        if not genuine:
            found.tamper = True
            if payload is not None:
                found.forged.append(payload)
        elif seq > found.seq:
            found.seq, found.payload = seq, payload
    if present == 1 and found.seq >= 2:
        found.tamper = True  # the other slot has been deleted
    if not present and store.files.read(store.path(MARKER)) is not None:
        found.tamper = True  # both slots deleted
    store.seq = found.seq
    return found


def _parse(store, raw):
    """(seq, payload or None, genuine)."""
    if len(raw) < HEAD_SIZE + MAC_SIZE:
        return 0, None, False
    magic, version, seq, length = struct.unpack_from(HEAD, raw, 0)
    end = HEAD_SIZE + length
    if magic != MAGIC or version != VERSION or len(raw) != end + MAC_SIZE:
        return 0, None, False
    payload = raw[HEAD_SIZE:end]
    return seq, payload, store.cmac.mac(raw[:end]) == raw[end:]


def _unpack(m, payload):
    """Load a genuine payload into the meter; False if it does not fit this layout."""
    if len(payload) < SEALED or not keyrecord.unseal(m, payload[:SEALED]):
        return False
    off = SEALED
    for part in parts(m):
        part.load(payload, off)
        off += part.SIZE
    m.tamper, m.last_result, m.last_unit, m.last_amount, saved_at = struct.unpack_from(
        MISC_FMT, payload, off)
    m.now = max(m.now, saved_at)  # the clock never runs back across a restart
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
    keyrecord.install(m, cfg.ea, cfg.key, cfg.kt, cfg.krn, cfg.ti, cfg.ken, cfg.sgc,
                      cfg.base_year)
    keyrecord.seal(m)
    m.tids.fill(clock.tid_at(cfg, tid_floor_at, m.base_year))


def boot(m):
    """Load the state, or provision a new meter, or recover from a forged state."""
    found = load(m.store)
    if found.payload is not None and _unpack(m, found.payload):
        pass
    elif found.payload is None and not found.tamper:
        _provision(m, m.cfg, 0)  # first start, at meter time 0
        save(m)
        return
    else:  # nothing genuine left
        found.tamper = True
        for forged in found.forged:
            if len(forged) >= SEALED and keyrecord.unseal(m, forged[:SEALED]):
                m.tids.fill(clock.tid_at(m.cfg, m.now, m.base_year))
                break
        else:
            _provision(m, m.cfg, m.now)
    if found.tamper:
        for forged in found.forged:
            for t in _forged_tids(m, forged):
                if not m.tids.used(t) and not m.tids.old(t):
                    m.tids.insert(t)
        # the genuine slot may be one save behind: whatever was issued until now is Old
        m.tids.raise_floor(clock.tid_at(m.cfg, m.now, m.base_year))
        from .meter import TAMPER_FORGED

        m.set_tamper(TAMPER_FORGED)
        save(m)
    m.lockout.until = m.now + m.lockout.remaining(m.now)  # a clock set back cannot stretch
    m.supply.clamp(m.now)
