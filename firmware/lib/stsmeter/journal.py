"""The state on a board's flash: a journal of records in whole flash blocks that the
filesystem holds as files but the meter writes itself, page by page.

    journal = Journal(rp2.Flash(), "state", cmac)   # the block device under littlefs
    journal.save(payload)                           # one record, ~2 ms, never an erase
    journal.maintain()                              # idle: prepares the next block

Each journal block is a file `state/journal.<gen>` of exactly one 4 KB block, made with
littlefs (which erases the block and writes its header page) and then found on the block
device by its header. Records go into the block's erased pages with the block device's
own program call, in slots of 512 bytes: littlefs never writes a file's data block again
while the file is unchanged, and keeps no checksum of file data. A record is the same as
in a state file (store.py): b"SM", version, sequence number, length, payload, AES-CMAC.

Why: a save programs two pages (no erase, no littlefs metadata): the result of a token
never waits for a 45 ms sector erase; the next block is made in idle time (maintain) before
the current one is full. And the newest record is where a file copy does not reach: the
meter finds its records by reading the block device, not the files, so state files copied
back, edited or deleted cannot bring an older state back (journalscan.py says which
changes it sees as tamper). Reading it back at start: journalscan.py.

Power cuts: a record is committed when its last byte is programmed; a cut during the
program leaves a slot the start finds torn (CMAC wrong) and ignores, with the record
before it as the state. Every start moves to a new block (its first save), so a torn slot
is always the last written slot of its block.
"""

import os
import struct

from micropython import const

from .store import HEAD, HEAD_SIZE, MAC_SIZE, MAGIC, MARKER, VERSION, Files

BLOCK_MAGIC = b"STSJ"
BLOCK_VERSION = const(1)
BLOCK_HEAD = "<4sBI8s"  # magic, version, generation, nonce (tells copies apart)
BLOCK_HEAD_SIZE = const(17)
PAGE = const(256)
SLOT = const(512)  # a record with its header and MAC, padded with 0xFF
ERASED = const(0xFF)
PREFIX = "journal."


class BoardFiles(Files):
    """The file calls of store.Files, and the few more a journal makes."""

    def remove(self, path):
        try:
            os.remove(path)
        except OSError:
            pass

    def listdir(self, path):
        try:
            return os.listdir(path)
        except OSError:
            return []

    def rmdir(self, path):
        try:
            os.rmdir(path)
        except OSError:
            pass


class Journal:
    """A store (same interface as store.Store: seq, save) on a block device."""

    def __init__(self, bdev, directory, cmac, random_bytes=None, files=None):
        self.bdev = bdev  # readblocks(n, buf, off), writeblocks(n, buf, off), ioctl
        self.dir = directory
        self.cmac = cmac
        self.random_bytes = random_bytes or os.urandom
        self.files = files or BoardFiles()  # the filesystem on bdev (tests: a fake)
        self.block_size = bdev.ioctl(5, 0)
        self.blocks = bdev.ioctl(4, 0)
        self.slots = (self.block_size - PAGE) // SLOT
        self.seq = 0
        self.gen = 0  # the newest block's generation
        self.block = -1  # where records go now (-1: a new block at the next save)
        self.slot = 0  # the next free slot in it
        self.spare = None  # (gen, block) made ahead by maintain()
        self.stale = []  # journal files to remove (older blocks)
        self.old_files = []  # state files of the firmware before the journal, to remove
        self.last_at = None  # (block, offset) of the newest record
        self._rec = bytearray(SLOT)
        self.files.mkdir(directory)

    def path(self, gen):
        return "%s/%s%d" % (self.dir, PREFIX, gen)

    def buffer(self, n):
        """The payload area (n bytes) of the slot buffer: record.py packs into it."""
        if HEAD_SIZE + n + MAC_SIZE > SLOT:
            raise ValueError("record of %d bytes: a journal slot holds %d" % (
                HEAD_SIZE + n + MAC_SIZE, SLOT))
        return memoryview(self._rec)[HEAD_SIZE : HEAD_SIZE + n]

    def save(self, payload):
        """Write the next record (payload: from buffer(), or any bytes); returns the number
        of bytes written (OSError when no block can be had: the filesystem is full)."""
        end = HEAD_SIZE + len(payload)
        self.buffer(len(payload))[:] = payload  # (a copy onto itself from buffer())
        if self.block < 0 or self.slot >= self.slots:
            self._next_block()
        rec = self._rec
        for i in range(end + MAC_SIZE, SLOT):
            rec[i] = ERASED
        struct.pack_into(HEAD, rec, 0, MAGIC, VERSION, self.seq + 1, len(payload))
        rec[end : end + MAC_SIZE] = self.cmac.mac(memoryview(rec)[:end])
        off = PAGE + SLOT * self.slot
        self.bdev.writeblocks(self.block, rec, off)  # the commit point
        self.last_at = (self.block, off)
        self.seq += 1
        self.slot += 1
        if self.seq == 1:
            self.files.write(self.dir + "/" + MARKER, b"1")
        return end + MAC_SIZE

    def maintain(self):
        """Idle work, off the path of a token: make the next block before the current one is
        full (creating the file erases a flash sector), and remove journal files the
        records have left. Errors (a full filesystem) wait for the next call."""
        try:
            if self.block >= 0 and self.spare is None and self.slot >= self.slots - 2:
                self.spare = self._make(self.gen + 1)
            if self.block < 0 or not self.slot:
                return  # files go only once a record is in the current block
            while self.stale:
                self.files.remove(self.path(self.stale[-1]))
                self.stale.pop()
            while self.old_files:
                self.files.remove(self.old_files.pop())
        except OSError:
            pass

    def _next_block(self):
        spare = self.spare
        self.spare = None
        gen, block = spare if spare else self._make(self.gen + 1)
        if self.block >= 0 or self.gen:
            self.stale.append(self.gen)
        self.gen, self.block, self.slot = gen, block, 0

    def _make(self, gen):
        """A new journal file holding one erased block with its header; returns (gen,
        block number). The file's block is found on the device by its header."""
        head = bytearray(self.block_size)
        for i in range(len(head)):
            head[i] = ERASED
        nonce = bytes(self.random_bytes(8))
        struct.pack_into(BLOCK_HEAD, head, 0, BLOCK_MAGIC, BLOCK_VERSION, gen, nonce)
        head[BLOCK_HEAD_SIZE : BLOCK_HEAD_SIZE + MAC_SIZE] = self.cmac.mac(
            memoryview(head)[:BLOCK_HEAD_SIZE])
        self.files.write(self.path(gen), head)
        probe = bytearray(BLOCK_HEAD_SIZE + MAC_SIZE)
        want = memoryview(head)[: len(probe)]
        start = max(self.block, 0)  # littlefs allocates onwards from its last block
        for i in range(self.blocks):
            block = (start + i) % self.blocks
            self.bdev.readblocks(block, probe, 0)
            if probe == want:
                return gen, block
        self.files.remove(self.path(gen))
        raise OSError(5)  # EIO: the file's block is not on this device
