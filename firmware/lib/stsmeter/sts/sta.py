"""EA07, the Standard Transfer Algorithm (STA), spec section 11.1 [V].

Works in place on a 64-bit block held as 8 big-endian bytes. Real STA tables (public,
see README). How it is made cheap on a 32-bit board:

- The state lives in three words of 24, 20 and 20 bits (block bits 63..40, 39..20,
  19..0), so no value ever reaches 2**30 and nothing is allocated per round.
- The bit permutation is done a nibble at a time: entry (i, v) of three tables (one per
  state word) holds PERM(v << 4i), so a permutation is 16 lookups OR-ed together. Each
  nibble goes through its substitution box on the way in (one more lookup): boxes
  sub0, sub1 and the identity sit at offsets 0, 16 and 32 of one 48-byte table.
- The key decides, per round and nibble, which box applies; that choice is turned into
  box offsets once per key (`STA.__init__`).

The tables take 3 KB (a meter builds them for each token and then lets them go), in
256-byte pieces that fit in a fragmented heap. Decryption is permute-then-
substitute: a bare permutation (identity box), 15 steps that carry the previous round's
substitution into the next permutation, and round 15's substitution on its own.
"""

from array import array

from micropython import const

# Real STA tables (sts-tables.json, sta_ea07). D1 = E2^-1, D2 = E1^-1, Q = P^-1.
E1 = b"\x0e\x0a\x07\x09\x0c\x03\x02\x05\x0d\x00\x0f\x01\x04\x08\x06\x0b"
E2 = b"\x0c\x08\x02\x0d\x07\x06\x01\x03\x0b\x05\x09\x0f\x00\x04\x0a\x0e"
P = bytes((55, 42, 10, 18, 24, 21, 44, 35, 2, 22, 56, 43, 27, 58, 9, 50, 6, 36, 12, 61,
           37, 38, 53, 16, 62, 3, 7, 4, 32, 20, 63, 25, 51, 52, 54, 33, 49, 19, 46, 29,
           48, 31, 23, 30, 41, 28, 13, 5, 40, 60, 39, 11, 15, 17, 1, 0, 57, 34, 59, 8,
           47, 14, 45, 26))


def _inverse(perm):
    inv = bytearray(len(perm))
    for i, p in enumerate(perm):
        inv[p] = i
    return bytes(inv)


D1 = _inverse(E2)
D2 = _inverse(E1)
Q = _inverse(P)


def _tables(sub0, sub1, perm):
    """12 word tables, then the boxes (sub0 + sub1 + identity). Word w of PERM(v << 4i) is
    at index (i % 4) * 16 + v of table 4w + i // 4: 256 bytes each, as small blocks are
    what a fragmented heap has."""
    zero = bytes(256)
    words = [array("I", zero) for _ in range(12)]
    for i in range(16):
        for v in range(16):
            for b in range(4):
                if (v >> b) & 1:
                    o = perm[4 * i + b]  # output bit, in word 0, 1 or 2
                    w = 0 if o >= 40 else 1 if o >= 20 else 2
                    words[4 * w + i // 4][(i % 4) * 16 + v] |= 1 << (o - (40, 20, 0)[w])
    words.append(sub0 + sub1 + bytes(range(16)))
    return tuple(words)


_DEC = _tables(D1, D2, Q)
_ENC = None  # built on first encryption: a meter only decrypts
_IDENTITY = const(32)  # offset of the identity box
_ZEROS = bytes(32)  # 16 zero half-words: a key schedule step before it is filled


def _key_bit(key, k):
    """Bit k (0 = least significant) of the 64-bit key held as 8 big-endian bytes."""
    k &= 63
    return (key[7 - (k >> 3)] >> (k & 7)) & 1


def _rounds(tables, sched, buf):
    """16 steps over buf: nibble i through the box at offset sched[r][i], then permuted."""
    p0, p1, p2, p3, q0, q1, q2, q3, r0, r1, r2, r3, s = tables
    a = (buf[0] << 16) | (buf[1] << 8) | buf[2]
    b = (buf[3] << 12) | (buf[4] << 4) | (buf[5] >> 4)
    c = ((buf[5] & 15) << 16) | (buf[6] << 8) | buf[7]
    for r in range(16):
        o0, o1, o2, o3, o4, o5, o6, o7, o8, o9, o10, o11, o12, o13, o14, o15 = sched[r]
        # each line: nibble i of the state, through its box, indexes its three tables
        j = s[o0 + (c & 15)]; x = p0[j]; y = q0[j]; z = r0[j]  # noqa: E702
        j = 16 + s[o1 + ((c >> 4) & 15)]; x |= p0[j]; y |= q0[j]; z |= r0[j]  # noqa: E702
        j = 32 + s[o2 + ((c >> 8) & 15)]; x |= p0[j]; y |= q0[j]; z |= r0[j]  # noqa: E702
        j = 48 + s[o3 + ((c >> 12) & 15)]; x |= p0[j]; y |= q0[j]; z |= r0[j]  # noqa: E702
        j = s[o4 + ((c >> 16) & 15)]; x |= p1[j]; y |= q1[j]; z |= r1[j]  # noqa: E702
        j = 16 + s[o5 + (b & 15)]; x |= p1[j]; y |= q1[j]; z |= r1[j]  # noqa: E702
        j = 32 + s[o6 + ((b >> 4) & 15)]; x |= p1[j]; y |= q1[j]; z |= r1[j]  # noqa: E702
        j = 48 + s[o7 + ((b >> 8) & 15)]; x |= p1[j]; y |= q1[j]; z |= r1[j]  # noqa: E702
        j = s[o8 + ((b >> 12) & 15)]; x |= p2[j]; y |= q2[j]; z |= r2[j]  # noqa: E702
        j = 16 + s[o9 + ((b >> 16) & 15)]; x |= p2[j]; y |= q2[j]; z |= r2[j]  # noqa: E702
        j = 32 + s[o10 + (a & 15)]; x |= p2[j]; y |= q2[j]; z |= r2[j]  # noqa: E702
        j = 48 + s[o11 + ((a >> 4) & 15)]; x |= p2[j]; y |= q2[j]; z |= r2[j]  # noqa: E702
        j = s[o12 + ((a >> 8) & 15)]; x |= p3[j]; y |= q3[j]; z |= r3[j]  # noqa: E702
        j = 16 + s[o13 + ((a >> 12) & 15)]; x |= p3[j]; y |= q3[j]; z |= r3[j]  # noqa: E702
        j = 32 + s[o14 + ((a >> 16) & 15)]; x |= p3[j]; y |= q3[j]; z |= r3[j]  # noqa: E702
        j = 48 + s[o15 + ((a >> 20) & 15)]; a = x | p3[j]; b = y | q3[j]; c = z | r3[j]  # noqa
    buf[0] = a >> 16
    buf[1] = (a >> 8) & 0xFF
    buf[2] = a & 0xFF
    buf[3] = b >> 12
    buf[4] = (b >> 4) & 0xFF
    buf[5] = ((b & 15) << 4) | (c >> 16)
    buf[6] = (c >> 8) & 0xFF
    buf[7] = c & 0xFF


class STA:
    """EA07 with one decoder key (8 bytes, standard order)."""

    def __init__(self, key):
        if len(key) != 8:
            raise ValueError("EA07 needs a 64-bit key")
        self._key = bytes(key)
        # Decryption round s picks D2 for nibble i when key bit 4i+s is 1 (k = DK, rotr 1
        # per round). Step 0 is the bare permutation; step r >= 1 carries round r-1's
        # substitution; round 15's is the last step. (16-bit arrays: a quarter of the RAM
        # of tuples on a 64-bit port, and unpacking one allocates nothing either.)
        # (Filled in place: no list per step, so a fragmented heap has room for it.)
        sched = []
        for step in range(16):
            a = array("H", _ZEROS)
            for i in range(16):
                a[i] = _key_bit(key, 4 * i + step - 1) * 16 if step else _IDENTITY
            sched.append(a)
        self._dec = sched
        # box offsets of round 15, byte p's high nibble (15-2p) then its low one (14-2p)
        self._last = bytes(_key_bit(key, 4 * (15 - n) + 15) * 16 for n in range(16))
        self._enc = None

    def decrypt(self, buf):
        """Decrypt the 8-byte block in buf in place."""
        _rounds(_DEC, self._dec, buf)
        last = self._last
        box = _DEC[12]
        for j in range(8):
            v = buf[j]
            buf[j] = (box[last[2 * j] + (v >> 4)] << 4) | box[last[2 * j + 1] + (v & 15)]

    def encrypt(self, buf):
        """Encrypt the 8-byte block in buf in place (vending side)."""
        global _ENC
        if _ENC is None:
            _ENC = _tables(E1, E2, P)
        if self._enc is None:
            # Round r picks E2 for nibble i when bit 4i+3 of rotl^r(rotr^12(NOT DK)) is 1,
            # i.e. when key bit 4i+15-r is 0.
            key = self._key
            self._enc = [array("H", [(1 - _key_bit(key, 4 * i + 15 - r)) * 16
                                     for i in range(16)]) for r in range(16)]
        _rounds(_ENC, self._enc, buf)
