"""Reading the state back at start (start-only code): the newest genuine record, and what
was done to it. The PC keeps it in two state files (store.py), read here; a board, in a
flash journal (journal.py), read by load_journal.py (loaded only for a journal).

State files: the newer genuine slot is the state; a slot that fails authentication, one
slot deleted after the second save, or both deleted after provisioning (the `provisioned`
marker) is tamper.
"""

import struct

from ..store import HEAD, HEAD_SIZE, MAC_SIZE, MAGIC, MARKER, SLOTS, VERSION


class _Found:
    """What load() found: the newest genuine payload, and whether anything was forged."""

    def __init__(self):
        self.payload = None
        self.seq = 0
        self.tamper = False
        self.forged = []  # payloads of slots that failed authentication (untrusted)


def _files(store):
    """The newest genuine slot of a Store (state files), and what was forged."""
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


def load(store):
    """What the store holds: the newest genuine record, and whether anything was forged
    (a _Found). A Store: its files. A Journal: its blocks (load_journal.read; sets its seq
    and generation); with no record at all, the state files of the firmware before the
    journal, if any: the first save moves that state into the journal, then the files go."""
    if not hasattr(store, "bdev"):
        return _files(store)
    from ..store import Store
    from .load_journal import read

    found = read(store, _Found())
    if found.payload is None and not found.tamper:
        files = Store(store.dir, store.cmac, store.files)
        found = _files(files)
        if found.payload is not None:
            store.old_files.extend(files.path(name) for name in SLOTS)
        store.seq = files.seq
    return found


