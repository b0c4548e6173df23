"""Reading a flash journal (journal.py) back at start, found on the block device itself
(start-only code, loaded by load_state.py for a board).

Every block of the device is looked at: a block is the journal's when its header page
carries this device's CMAC. In each, every written slot must be a genuine record, except
the last one written, which a power cut during its program may have left torn (ignored).
The newest genuine record (highest sequence number) is the state, wherever it is: an
older block brought back as a file copy, or freed blocks whose files were deleted, do not
change that. Tamper, as for edited state files:
  - a written slot that is not genuine and not the last of its block (an edited record);
  - the newest record's journal file missing (deleted) or not holding that block's data
    (replaced, for instance by an older copy).
With no record at all, load_state.load() looks for state files (the firmware before the
journal) and for the `provisioned` marker, as for a meter keeping its state in files.
The next save starts a new block; every journal file found is then removed (maintain).
"""

import struct

from ..journal import (BLOCK_HEAD, BLOCK_HEAD_SIZE, BLOCK_MAGIC, BLOCK_VERSION, ERASED, PAGE,
                       PREFIX, SLOT)
from ..store import HEAD, HEAD_SIZE, MAC_SIZE, MAGIC, VERSION


def _record(cmac, rec):
    """(seq, payload or None, genuine) of one slot's bytes."""
    magic, version, seq, length = struct.unpack_from(HEAD, rec, 0)
    end = HEAD_SIZE + length
    if magic != MAGIC or version != VERSION or end + MAC_SIZE > len(rec):
        return 0, None, False
    payload = bytes(rec[HEAD_SIZE:end])
    return seq, payload, cmac.mac(memoryview(rec)[:end]) == rec[end : end + MAC_SIZE]


def _erased(buf):
    for b in buf:
        if b != ERASED:
            return False
    return True


def blocks(j):
    """[(gen, block)] of the blocks whose header is this device's."""
    head = bytearray(BLOCK_HEAD_SIZE + MAC_SIZE)
    found = []
    for block in range(j.blocks):
        j.bdev.readblocks(block, head, 0)
        if head[:4] != BLOCK_MAGIC:
            continue
        magic, version, gen, nonce = struct.unpack_from(BLOCK_HEAD, head, 0)
        if version == BLOCK_VERSION and j.cmac.mac(head[:BLOCK_HEAD_SIZE]) == head[
                BLOCK_HEAD_SIZE:]:
            found.append((gen, block))
    return found


def read(j, found):
    """The newest genuine record of a Journal into `found` (a load_state._Found); sets the
    journal's seq and generation."""
    rec = bytearray(SLOT)
    newest = None  # (gen, block, slot offset)
    top_gen = 0
    for gen, block in blocks(j):
        top_gen = max(top_gen, gen)
        written = []
        for slot in range(j.slots):
            j.bdev.readblocks(block, rec, PAGE + SLOT * slot)
            if not _erased(rec):
                written.append(slot)
        for slot in written:
            j.bdev.readblocks(block, rec, PAGE + SLOT * slot)
            seq, payload, genuine = _record(j.cmac, rec)
            if genuine:
                if seq > found.seq:
                    found.seq, found.payload = seq, payload
                    newest = (gen, block, PAGE + SLOT * slot)
            elif slot != written[-1]:  # only the last written slot may be torn
                found.tamper = True  # a record edited
                if payload is not None:
                    found.forged.append(payload)
    names = [n for n in j.files.listdir(j.dir) if n.startswith(PREFIX)]
    if newest is not None:
        _check_file(j, found, newest)
    j.seq = found.seq
    j.last_at = newest[1:] if newest else None
    j.gen = top_gen
    for name in names:
        try:
            gen = int(name[len(PREFIX):])
        except ValueError:
            continue
        j.gen = max(j.gen, gen)
        j.stale.append(gen)
    j.block = -1  # the next save starts a new block
    return found


def _check_file(j, found, newest):
    """Tamper unless the newest record's journal file holds that very block's data."""
    gen, block, off = newest
    data = j.files.read(j.path(gen))
    if data is None:
        found.tamper = True  # the journal file deleted
        return
    raw = bytearray(SLOT)
    j.bdev.readblocks(block, raw, off)
    head = bytearray(BLOCK_HEAD_SIZE + MAC_SIZE)
    j.bdev.readblocks(block, head, 0)
    if (len(data) != j.block_size or data[: len(head)] != head
            or data[off : off + SLOT] != raw):
        found.tamper = True  # the journal file replaced (an older copy, say)
