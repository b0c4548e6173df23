"""Power-cut-safe, authenticated state records: two slots, each replaced atomically.

Each save writes the whole record to `<slot>.tmp` and renames it over the slot, taking the
slots in turn (sequence number odd: `state.a`, even: `state.b`). Rename is atomic on
littlefs, so a slot is always a complete record and a power cut at any instant leaves
the state either before or after the save. Loading takes the valid slot with the highest
sequence number; the other slot, one save older, is the fall-back when a slot has been
tampered with.

Record: b"SM", version, sequence number (u32), payload length (u16), payload, AES-CMAC.
Tamper: a slot that is present but not a genuine record, a lone slot past the first
save (its twin deleted), or no slot at all where a meter has been (the `provisioned`
marker written after the first save remains).
"""

import os
import struct

from micropython import const

_MAGIC = b"SM"
_VERSION = const(1)
_HEAD = "<2sBIH"
_HEAD_SIZE = const(9)
_MAC_SIZE = const(16)
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


class Loaded:
    """What load() found: the newest genuine payload, and whether anything was forged."""

    def __init__(self):
        self.payload = None
        self.seq = 0
        self.tamper = False
        self.forged = []  # payloads of slots that failed authentication (untrusted)


class Store:
    def __init__(self, directory, cmac, files=None):
        self.dir = directory
        self.cmac = cmac
        self.files = files or Files()
        self.seq = 0
        self.files.mkdir(directory)

    def _path(self, name):
        return self.dir + "/" + name

    def load(self):
        found = Loaded()
        present = 0
        for name in SLOTS:
            raw = self.files.read(self._path(name))
            if raw is None:
                continue
            present += 1
            seq, payload, genuine = self._parse(raw)
            if not genuine:
                found.tamper = True
                if payload is not None:
                    found.forged.append(payload)
            elif seq > found.seq:
                found.seq, found.payload = seq, payload
        if present == 1 and found.seq >= 2:
            found.tamper = True  # the other slot has been deleted
        if not present and self.files.read(self._path(MARKER)) is not None:
            found.tamper = True  # both slots deleted
        self.seq = found.seq
        return found

    def _parse(self, raw):
        """(seq, payload or None, genuine)."""
        if len(raw) < _HEAD_SIZE + _MAC_SIZE:
            return 0, None, False
        magic, version, seq, length = struct.unpack_from(_HEAD, raw, 0)
        end = _HEAD_SIZE + length
        if magic != _MAGIC or version != _VERSION or len(raw) != end + _MAC_SIZE:
            return 0, None, False
        payload = raw[_HEAD_SIZE:end]
        return seq, payload, self.cmac.mac(raw[:end]) == raw[end:]

    def save(self, payload):
        """Write the next record; returns the number of bytes written."""
        self.seq += 1
        head = struct.pack(_HEAD, _MAGIC, _VERSION, self.seq, len(payload))
        body = head + bytes(payload)
        record = body + self.cmac.mac(body)
        slot = self._path(SLOTS[(self.seq - 1) % 2])
        self.files.write(slot + ".tmp", record)
        self.files.rename(slot + ".tmp", slot)  # the commit point
        if self.seq == 1:
            self.files.write(self._path(MARKER), b"1")
        return len(record)
