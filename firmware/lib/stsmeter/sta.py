"""EA07, the Standard Transfer Algorithm (STA), spec section 11.1 [V].

Works in place on a 64-bit block held as 8 big-endian bytes. Real STA tables (public,
see README). How it is made cheap on a 32-bit board:

- The state lives in three words of 24, 20 and 20 bits (block bits 63..40, 39..20,
  19..0), so no value ever reaches 2**30 and nothing is allocated per round.
- A round's nibble substitution and the bit permutation next to it are merged into one
  lookup per nibble: entry (sel, i, v) of three tables (one per state word) holds
  PERM(SUB_sel(v) << 4i). A round is then 16 lookups OR-ed together.
- The key decides, per round and nibble, which of the two substitution tables applies;
  that choice is turned into table offsets once per key (`STA.__init__`).

Decryption is permute-then-substitute, so it runs as: substitute the input with E2 (so
that the first merged D1 lookup yields a bare permutation), 16 merged rounds, and a last
bare substitution.
"""

from array import array

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


def _merged(sub0, sub1, perm):
    """Tables of PERM(SUB_sel(v) << 4i), one per state word, indexed (sel * 16 + i) * 16 + v."""
    words = (array("I", bytes(2048)), array("I", bytes(2048)), array("I", bytes(2048)))
    for sel, sub in ((0, sub0), (1, sub1)):
        for i in range(16):
            for v in range(16):
                n = (sel * 16 + i) * 16 + v
                s = sub[v]
                for b in range(4):
                    if (s >> b) & 1:
                        o = perm[4 * i + b]  # output bit, in word 0, 1 or 2
                        w = 0 if o >= 40 else 1 if o >= 20 else 2
                        words[w][n] |= 1 << (o - (40, 20, 0)[w])
    return words


_DEC = _merged(D1, D2, Q)
_ENC = None  # built on first encryption: a meter only decrypts

# Both nibbles of a byte through E2 (decryption pre-step) ...
_E2E2 = bytes((E2[v >> 4] << 4) | E2[v & 15] for v in range(256))
# ... and through D1/D2 chosen per nibble, offset (sel_hi * 2 + sel_lo) * 256 (last step).
_DSUB = bytes(((D2 if sel & 2 else D1)[v >> 4] << 4) | (D2 if sel & 1 else D1)[v & 15]
              for sel in range(4) for v in range(256))


def _key_bit(key, k):
    """Bit k (0 = least significant) of the 64-bit key held as 8 big-endian bytes."""
    k &= 63
    return (key[7 - (k >> 3)] >> (k & 7)) & 1


def _rounds(tables, sched, buf):
    """16 merged rounds over buf, with sched[r] = the 16 nibble offsets of round r."""
    ta, tb, tc = tables
    a = (buf[0] << 16) | (buf[1] << 8) | buf[2]
    b = (buf[3] << 12) | (buf[4] << 4) | (buf[5] >> 4)
    c = ((buf[5] & 15) << 16) | (buf[6] << 8) | buf[7]
    for r in range(16):
        o0, o1, o2, o3, o4, o5, o6, o7, o8, o9, o10, o11, o12, o13, o14, o15 = sched[r]
        # each line: nibble i of the state indexes its merged entry in the three tables
        j = o0 + (c & 15); x = ta[j]; y = tb[j]; z = tc[j]  # noqa: E702
        j = o1 + ((c >> 4) & 15); x |= ta[j]; y |= tb[j]; z |= tc[j]  # noqa: E702
        j = o2 + ((c >> 8) & 15); x |= ta[j]; y |= tb[j]; z |= tc[j]  # noqa: E702
        j = o3 + ((c >> 12) & 15); x |= ta[j]; y |= tb[j]; z |= tc[j]  # noqa: E702
        j = o4 + ((c >> 16) & 15); x |= ta[j]; y |= tb[j]; z |= tc[j]  # noqa: E702
        j = o5 + (b & 15); x |= ta[j]; y |= tb[j]; z |= tc[j]  # noqa: E702
        j = o6 + ((b >> 4) & 15); x |= ta[j]; y |= tb[j]; z |= tc[j]  # noqa: E702
        j = o7 + ((b >> 8) & 15); x |= ta[j]; y |= tb[j]; z |= tc[j]  # noqa: E702
        j = o8 + ((b >> 12) & 15); x |= ta[j]; y |= tb[j]; z |= tc[j]  # noqa: E702
        j = o9 + ((b >> 16) & 15); x |= ta[j]; y |= tb[j]; z |= tc[j]  # noqa: E702
        j = o10 + (a & 15); x |= ta[j]; y |= tb[j]; z |= tc[j]  # noqa: E702
        j = o11 + ((a >> 4) & 15); x |= ta[j]; y |= tb[j]; z |= tc[j]  # noqa: E702
        j = o12 + ((a >> 8) & 15); x |= ta[j]; y |= tb[j]; z |= tc[j]  # noqa: E702
        j = o13 + ((a >> 12) & 15); x |= ta[j]; y |= tb[j]; z |= tc[j]  # noqa: E702
        j = o14 + ((a >> 16) & 15); x |= ta[j]; y |= tb[j]; z |= tc[j]  # noqa: E702
        j = o15 + ((a >> 20) & 15); a = x | ta[j]; b = y | tb[j]; c = z | tc[j]  # noqa
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
        # per round). Merged step 0 is the bare permutation (all D1, after the E2 pre-step);
        # merged step r >= 1 carries round r-1's substitution; round 15's is the last step.
        # (16-bit arrays: a quarter of the RAM of tuples on a 64-bit port; unpacking one
        # allocates nothing either)
        sched = [array("H", range(0, 256, 16))]
        for s in range(15):
            sched.append(array("H", [(_key_bit(key, 4 * i + s) * 16 + i) * 16
                                     for i in range(16)]))
        self._dec = sched
        # byte p holds nibbles 15-2p (high) and 14-2p (low): offsets into _DSUB, over 256
        self._last = bytes(_key_bit(key, 4 * (15 - 2 * p) + 15) * 2
                           + _key_bit(key, 4 * (14 - 2 * p) + 15) for p in range(8))
        self._enc = None

    def decrypt(self, buf):
        """Decrypt the 8-byte block in buf in place."""
        e2 = _E2E2
        for j in range(8):
            buf[j] = e2[buf[j]]
        _rounds(_DEC, self._dec, buf)
        last = self._last
        sub = _DSUB
        for j in range(8):
            buf[j] = sub[(last[j] << 8) | buf[j]]

    def encrypt(self, buf):
        """Encrypt the 8-byte block in buf in place (vending side)."""
        global _ENC
        if _ENC is None:
            _ENC = _merged(E1, E2, P)
        if self._enc is None:
            # Round r picks E2 for nibble i when bit 4i+3 of rotl^r(rotr^12(NOT DK)) is 1,
            # i.e. when key bit 4i+15-r is 0.
            key = self._key
            self._enc = [array("H", [((1 - _key_bit(key, 4 * i + 15 - r)) * 16 + i) * 16
                                     for i in range(16)]) for r in range(16)]
        _rounds(_ENC, self._enc, buf)
