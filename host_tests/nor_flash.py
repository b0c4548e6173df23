"""A NOR flash in RAM, and a littlefs stand-in over it, for the flash journal's tests.
Runs under CPython and MicroPython alike.

    flash = NorFlash(blocks=32)           # 4 KB blocks, 256-byte pages, like a Pico's
    flash.cut_at = 17                     # the 17th page program or erase is cut half-way
    fs = BlockFiles(flash)                # files of exactly one block live on the flash

NorFlash speaks the extended block protocol of MicroPython's block devices (readblocks,
writeblocks with an offset = program without erase, ioctl 4/5/6). It behaves like NOR
flash: an erase sets a block to 0xFF; a program can only clear bits (it ANDs), one
256-byte page at a time; `cut_at` raises PowerCut part-way through an operation, leaving
the first `cut_fraction` of that page (or block, for an erase) done.

BlockFiles is the filesystem calls the journal makes (stsmeter.store.Files: read, write,
remove, mkdir, listdir), kept the way littlefs keeps them where it matters to the journal:
a file of exactly one block gets a block of its own on the flash (erased, then
programmed), freed by remove without erasing (its data stays until the block is used
again, allocation going round the device); a file write is atomic (a cut leaves no
file); smaller files are kept in RAM.
"""


class PowerCut(Exception):
    pass


PAGE = 256


class NorFlash:
    def __init__(self, blocks=32, block_size=4096):
        self.block_size = block_size
        self.count = blocks
        self.data = bytearray(b"\xff" * (blocks * block_size))
        self.ops = 0  # page programs and block erases so far
        self.cut_at = -1
        self.cut_fraction = 0.5
        self.erases = 0
        self.programmed = 0

    def _op(self):
        self.ops += 1
        return self.ops == self.cut_at

    def readblocks(self, n, buf, off=0):
        start = n * self.block_size + off
        buf[:] = self.data[start : start + len(buf)]

    def erase(self, n):
        start = n * self.block_size
        end = start + self.block_size
        if self._op():
            end = start + int(self.block_size * self.cut_fraction)
            self.data[start:end] = b"\xff" * (end - start)
            raise PowerCut()
        self.data[start:end] = b"\xff" * (end - start)
        self.erases += 1

    def writeblocks(self, n, buf, off=None):
        if off is None:
            self.erase(n)
            off = 0
        start = n * self.block_size + off
        data = self.data
        for page in range(0, len(buf), PAGE):
            stop = min(page + PAGE, len(buf))
            cut = self._op()
            if cut:
                stop = page + int((stop - page) * self.cut_fraction)
            for i in range(page, stop):
                data[start + i] &= buf[i]
            self.programmed += stop - page
            if cut:
                raise PowerCut()

    def ioctl(self, op, arg):
        if op == 4:
            return self.count
        if op == 5:
            return self.block_size
        if op == 6:
            self.erase(arg)
        return 0


class BlockFiles:
    def __init__(self, flash):
        self.flash = flash
        self.small = {}  # path -> bytes
        self.blocks = {}  # path -> block number
        self.next = 0  # where allocation looks next (littlefs goes round the device)
        self.dirs = set()
        self.full = False  # every write raises ENOSPC (a full filesystem)

    def _free_block(self):
        used = set(self.blocks.values())
        for i in range(self.flash.count):
            b = (self.next + i) % self.flash.count
            if b not in used:
                self.next = (b + 1) % self.flash.count
                return b
        raise OSError(28)

    def read(self, path):
        if path in self.blocks:
            buf = bytearray(self.flash.block_size)
            self.flash.readblocks(self.blocks[path], buf)
            return bytes(buf)
        return self.small.get(path)

    def write(self, path, data):
        if self.full:
            raise OSError(28)  # ENOSPC
        if len(data) == self.flash.block_size:
            block = self._free_block()
            self.flash.writeblocks(block, data)  # erase + program; a cut: no file
            self.small.pop(path, None)
            self.blocks[path] = block
        else:
            self.blocks.pop(path, None)
            self.small[path] = bytes(data)

    def remove(self, path):
        self.blocks.pop(path, None)
        self.small.pop(path, None)

    def rename(self, src, dst):
        if src in self.blocks:
            self.blocks[dst] = self.blocks.pop(src)
        else:
            self.small[dst] = self.small.pop(src)

    def mkdir(self, path):
        self.dirs.add(path)

    def rmdir(self, path):
        self.dirs.discard(path)

    def listdir(self, path):
        prefix = path + "/"
        names = [p[len(prefix):] for p in list(self.blocks) + list(self.small)
                 if p.startswith(prefix)]
        return sorted(names)

    def snapshot(self):
        """The files' contents (what a person copies off the board)."""
        out = {}
        for p in list(self.blocks) + list(self.small):
            out[p] = self.read(p)
        return out

    def restore(self, files):
        """Copy files back: every file written anew (new blocks), the others removed."""
        for p in list(self.blocks) + list(self.small):
            if p not in files:
                self.remove(p)
        for p, data in files.items():
            self.write(p, data)
