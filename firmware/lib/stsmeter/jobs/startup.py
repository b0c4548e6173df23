"""Starting the meter from its record: load it, or provision a new meter, or recover from a
forged state. Runs once per start (meter.py loads it, then releases it).

Recovery when a slot fails authentication (hand-edited, or deleted): the meter runs on
the newest genuine slot, at most one save old, with tamper set (relay open until a clear
tamper token). As that slot may lack the last token, every token issued before the
present time is then Old (TIDs read from a forged slot are kept too, being stricter).
With no genuine slot left it starts from nothing trusted: no credit, the same TID floor.
"""

import json
import struct

from .. import TAMPERS
from ..record import CLOCK_MAX, MISC_FMT, SEALED, parts, save, tids_at
from ..store import HEAD, HEAD_SIZE, SLOTS
from . import clock, key_record, load_state


def _unpack(m, payload):
    """Load a genuine payload into the meter; False if it does not fit this layout."""
    if len(payload) < SEALED or not key_record.unseal(m, payload[:SEALED]):
        return False
    off = SEALED
    for part in parts(m):
        part.load(payload, off)
        off += part.SIZE
    m.tamper, m.last_result, m.last_unit, m.last_amount, saved_at = struct.unpack_from(
        MISC_FMT, payload, off)
    # the clock never runs back across a restart and stops at CLOCK_MAX; the lockout and
    # an over-power wait go on in running time: what was left at this record's save (never
    # more than one step), from the clock now - a power-off and a clock moved either way
    # change nothing
    saved_at = min(saved_at, CLOCK_MAX)
    now = min(max(m.now, saved_at), CLOCK_MAX)
    left = m.lockout.remaining(saved_at)
    m.lockout.until = now + left if left else 0
    sup = m.supply
    left = min(sup.reconnect_at - saved_at, sup.delay())
    sup.reconnect_at = now + left if left > 0 else 0
    m.now = now
    off += struct.calcsize(MISC_FMT)
    off += m.tids.load(payload, off)
    off += m.log.load(payload, off)
    digest = bytes(payload[off : off + 8])  # the sealed settings' (zeros, or absent: none)
    m.digest = digest if len(digest) == 8 and any(digest) else None
    return True


def go_back(m):
    """After a save the flash refused: the meter in RAM back to its last saved record."""
    store = m.store
    if hasattr(store, "bdev"):  # a journal: the record where it was written
        if store.last_at is None:
            return
        rec = bytearray(512)
        store.bdev.readblocks(store.last_at[0], rec, store.last_at[1])
    else:
        rec = store.files.read(store.path(SLOTS[(store.seq - 1) % 2])) if store.seq else None
        if rec is None:
            return
    _unpack(m, bytes(rec[HEAD_SIZE : HEAD_SIZE + struct.unpack_from(HEAD, rec, 0)[3]]))


def _forged_tids(m, payload):
    """TIDs in a forged payload, read with this layout (empty if it does not fit)."""
    from ..tidstore import TidStore

    found = TidStore(m.tids.size)
    try:
        found.load(payload, tids_at(m))
    except IndexError:
        return []
    return found.tids()


def _provision(m, cfg, tid_floor_at):
    """Key data from the provisioning file, no credit, TID store filled at a time."""
    if cfg.key is None:
        raise ValueError("meter.json has no decoder_key and there is no state to load")
    key_record.install(m, cfg.ea, cfg.key, cfg.kt, cfg.krn, cfg.ti, cfg.ken, cfg.sgc,
                      cfg.base_year)
    key_record.seal(m)
    # the minute before tid_floor_at: a token issued in that minute or later is taken
    m.tids.fill(max(clock.tid_at(cfg, tid_floor_at, m.base_year) - 1, 0))


def boot(m):
    """Load the state, or provision a new meter, or recover from a forged state."""
    store = m.store
    found = load_state.load(store)
    if found.payload is not None and _unpack(m, found.payload):
        if m.digest is None:  # a record from before the seal: seal meter.json's settings
            m.digest = seal(m.cfg, store)
        elif m.digest != m.cfg.digest:  # the sealed file deleted, edited or another one's:
            found.tamper = True  # tamper, and meter.json's values sealed from now on
            m.digest = seal(m.cfg, store)
    elif found.payload is None and not found.tamper:
        _provision(m, m.cfg, 0)  # first start, at meter time 0
        m.digest = seal(m.cfg, store)
        save(m)
        return
    else:  # nothing genuine left
        found.tamper = True
        for forged in found.forged:
            if len(forged) >= SEALED and key_record.unseal(m, forged[:SEALED]):
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
        if m.digest is None:
            m.digest = m.cfg.digest or seal(m.cfg, store)
        m.set_tamper(TAMPERS.index("state_forged"))
        save(m)
    # the lockout and an over-power wait were resumed from the record by _unpack (in
    # running time: neither a clock set back nor one moved forward changes them)


# --- the settings a meter was provisioned with, sealed ---
#
# At provisioning the meter writes what it was given into `state/settings`: the meter.json
# fields that are not in the sealed key record (pan, mfr_code, provisioned_at) and every
# setting (meterjson.SETTINGS: emergency credit, low credit, lockout timings, TID memory
# size, save interval, ...), as JSON with an AES-CMAC under the device key. Its first 8
# CMAC bytes go into every state record (record.py: m.digest), which ties the file to this
# provisioning. At every start the sealed values replace meter.json's before the meter is
# built (sealed(), from Meter.__init__); a meter.json that says otherwise is reported (a
# `settings_ignored` warning event naming the fields; a board prints it on its console)
# and ignored: changing them is a re-provisioning. The file missing, edited or not
# matching the record is tamper (boot above): the meter then runs on meter.json's values,
# with the relay open until a clear-tamper token. A record from before the seal (an older
# firmware) has no digest: meter.json's values are sealed at that first start.


def seal(cfg, store):
    """Write the sealed settings of a meter provisioned now; returns their digest."""
    from .meterjson import SETTINGS

    values = {}
    for name in ("pan", "mfr_code", "epoch_min", "epoch_sec") + tuple(SETTINGS):
        values[name] = getattr(cfg, name)
    blob = json.dumps(values).encode()
    mac = store.cmac.mac(blob)
    path = store.dir + "/settings"
    store.files.write(path + ".tmp", blob + mac)
    store.files.rename(path + ".tmp", path)
    cfg.digest = mac[:8]
    return cfg.digest


def sealed(cfg, store, emit):
    """Replace meter.json's values in cfg by the sealed ones; cfg.digest: their digest
    (None: none, or not genuine). A difference is reported and ignored."""
    cfg.digest = None
    raw = store.files.read(store.dir + "/settings")
    if raw is None or len(raw) < 16:
        return
    blob, mac = raw[:-16], raw[-16:]
    if store.cmac.mac(blob) != mac:
        return
    try:
        values = json.loads(blob)
    except ValueError:
        return
    ignored = []
    for name, value in values.items():
        if hasattr(cfg, name) and getattr(cfg, name) != value:
            ignored.append(name)
            setattr(cfg, name, value)
    cfg.digest = bytes(mac[:8])
    if ignored:  # (a board says it on its console: app.py)
        ignored.sort()
        emit({"event": "warning", "warning": "settings_ignored", "fields": ignored})
