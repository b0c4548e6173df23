"""Power-cut-safe, authenticated state records in two files, each replaced atomically: the
state on the PC (a board keeps a flash journal: journal.py).

Each save writes the whole record to `<slot>.tmp` and renames it over the slot, taking the
slots in turn (sequence number odd: `state.a`, even: `state.b`). Rename is atomic on
littlefs, so a slot is always a complete record and a power cut at any instant leaves
the state either before or after the save. Loading takes the valid slot with the highest
sequence number; the other slot, one save older, is the fall-back when a slot has been
tampered with.

Record: b"SM", version, sequence number (u32), payload length (u16), payload, AES-CMAC.
Reading the slots back (once, at start): jobs/load_state.py.
Tamper: a slot that is present but not a genuine record, a lone slot past the first
save (its twin deleted), or no slot at all where a meter has been (the `provisioned`
marker written after the first save remains).
"""

import os
import struct

from micropython import const

MAGIC = b"SM"
VERSION = const(1)
HEAD = "<2sBIH"
HEAD_SIZE = const(9)
MAC_SIZE = const(16)
SLOTS = ("state.a", "state.b")
MARKER = "provisioned"


class Files:
    """The file calls the store makes; tests swap in a fake that can cut the power."""

    def read(self, path):
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError:
            return None

    def write(self, path, data):
        with open(path, "wb") as f:
            f.write(data)

    def rename(self, src, dst):
        os.rename(src, dst)

    def mkdir(self, path):
        try:
            os.mkdir(path)
        except OSError:
            pass



class Store:
    def __init__(self, directory, cmac, files=None):
        self.dir = directory
        self.cmac = cmac
        self.files = files or Files()
        self.seq = 0
        self._rec = None  # the record buffer() made for the next save
        self.files.mkdir(directory)

    def path(self, name):
        return self.dir + "/" + name

    def buffer(self, n):
        """The payload area (n bytes) of a new record buffer: record.py packs the payload
        into it, and save() completes the record around it - one allocation per save (kept
        between saves it would cost a small heap more than it saves)."""
        self._rec = bytearray(HEAD_SIZE + n + MAC_SIZE)
        return memoryview(self._rec)[HEAD_SIZE : HEAD_SIZE + n]

    def save(self, payload):
        """Write the next record (payload: from buffer(), or any bytes); returns the number
        of bytes written (OSError, such as a full filesystem, leaves the store as it was)."""
        seq = self.seq + 1
        end = HEAD_SIZE + len(payload)
        record, self._rec = self._rec, None
        if record is None or len(record) != end + MAC_SIZE:  # (not from buffer())
            record = bytearray(end + MAC_SIZE)
        record[HEAD_SIZE:end] = payload  # (from buffer(): a copy onto itself)
        struct.pack_into(HEAD, record, 0, MAGIC, VERSION, seq, len(payload))
        record[end:] = self.cmac.mac(memoryview(record)[:end])
        slot = self.path(SLOTS[(seq - 1) % 2])
        self.files.write(slot + ".tmp", record)
        self.files.rename(slot + ".tmp", slot)  # the commit point
        self.seq = seq
        if seq == 1:
            self.files.write(self.path(MARKER), b"1")
        return len(record)
