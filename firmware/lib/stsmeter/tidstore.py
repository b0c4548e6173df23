"""The meter's token-ID memory (spec 13.4): which tokens were used, which are too old.

The most recent accepted TIDs (24-bit each) are kept sorted ascending in one bytearray,
3 bytes per TID, so lookups and inserts allocate nothing. Used = equal to a stored TID;
Old = below the smallest stored TID, or equal to it while it fills more than one slot:
that is the fill value (provisioning: the minute before the provisioning minute; a tamper
recovery: the present minute), never an accepted token's TID (accepted TIDs are unique).
When full, the smallest is evicted. So a newly provisioned meter takes every token issued
at or after its provisioning minute and calls the earlier ones Old.
"""

from micropython import const

MIN_SIZE = const(50)


class TidStore:
    def __init__(self, size=MIN_SIZE):
        if not MIN_SIZE <= size <= 255:
            raise ValueError("TID store size must be %d..255" % MIN_SIZE)
        self.size = size
        self.count = 0
        self._buf = bytearray(3 * size)

    def _get(self, i):
        b = self._buf
        j = 3 * i
        return (b[j] << 16) | (b[j + 1] << 8) | b[j + 2]

    def _put(self, i, tid):
        b = self._buf
        j = 3 * i
        b[j] = tid >> 16
        b[j + 1] = (tid >> 8) & 0xFF
        b[j + 2] = tid & 0xFF

    def used(self, tid):
        lo, hi = 0, self.count
        while lo < hi:  # binary search
            mid = (lo + hi) >> 1
            v = self._get(mid)
            if v == tid:
                return True
            if v < tid:
                lo = mid + 1
            else:
                hi = mid
        return False

    def old(self, tid):
        """Below the smallest stored TID, or equal to the fill value (the smallest, stored
        twice or more: accepted TIDs are unique). Check it before used()."""
        if not self.count:
            return False
        low = self._get(0)
        return tid < low or (tid == low and self.count > 1 and self._get(1) == low)

    def insert(self, tid):
        """Store an accepted TID (caller checked it is neither used nor old)."""
        if self.count == self.size:  # evict the smallest
            self._buf[0 : 3 * (self.size - 1)] = self._buf[3 : 3 * self.size]
            self.count -= 1
        i = self.count
        while i > 0 and self._get(i - 1) > tid:
            self._put(i, self._get(i - 1))
            i -= 1
        self._put(i, tid)
        self.count += 1

    def fill(self, tid):
        """Every slot = tid: the state of a newly provisioned meter."""
        for i in range(self.size):
            self._put(i, tid)
        self.count = self.size

    def clear(self):
        self.count = 0

    def raise_floor(self, tid):
        """Make every TID below `tid` Old, keeping the stored ones at or above it."""
        keep = [t for t in self.tids() if t >= tid]
        self.fill(tid)
        for t in keep:
            if not self.used(t):
                self.insert(t)

    def tids(self):
        """The stored TIDs, ascending (a new list: for status, not for hot paths)."""
        return [self._get(i) for i in range(self.count)]

    # persistence: 2 bytes (count, size) + 3 bytes per slot
    def record_size(self):
        return 2 + 3 * self.size

    def save(self, buf, off):
        buf[off] = self.count
        buf[off + 1] = self.size
        buf[off + 2 : off + 2 + 3 * self.size] = self._buf

    def load(self, buf, off):
        count, size = buf[off], buf[off + 1]
        self.clear()
        start = off + 2 + 3 * max(0, count - self.size)  # a smaller store keeps the newest
        for i in range(min(count, self.size)):
            j = start + 3 * i
            self._put(i, (buf[j] << 16) | (buf[j + 1] << 8) | buf[j + 2])
        self.count = min(count, self.size)
        return 2 + 3 * size
