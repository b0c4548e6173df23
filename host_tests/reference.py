"""Straightforward reference implementation of the STS token maths, for tests only.

Written directly from the spec (docs section numbers in comments) with plain Python
integers and bit-by-bit loops, so that it is easy to check by eye. The firmware codec
is optimised for a microcontroller; property tests compare the two on random input.
"""

import json
import os

M64 = (1 << 64) - 1

# sts-tables.json -> sta_ea07 (real tables), copied here: the project reads nothing outside itself.
E1 = [14, 10, 7, 9, 12, 3, 2, 5, 13, 0, 15, 1, 4, 8, 6, 11]
E2 = [12, 8, 2, 13, 7, 6, 1, 3, 11, 5, 9, 15, 0, 4, 10, 14]
P = [55, 42, 10, 18, 24, 21, 44, 35, 2, 22, 56, 43, 27, 58, 9, 50, 6, 36, 12, 61, 37, 38,
     53, 16, 62, 3, 7, 4, 32, 20, 63, 25, 51, 52, 54, 33, 49, 19, 46, 29, 48, 31, 23, 30,
     41, 28, 13, 5, 40, 60, 39, 11, 15, 17, 1, 0, 57, 34, 59, 8, 47, 14, 45, 26]
D1 = [E2.index(i) for i in range(16)]
D2 = [E1.index(i) for i in range(16)]
Q = [P.index(i) for i in range(64)]


def rotl(x, n):
    n %= 64
    return ((x << n) | (x >> (64 - n))) & M64


def rotr(x, n):
    return rotl(x, 64 - n % 64)


def sta_encrypt(dk, d):
    """Spec 11.1, encryption, bit by bit."""
    k = rotr(~dk & M64, 12)
    x = d
    for _ in range(16):
        for i in range(16):
            t = E2 if (k >> (4 * i + 3)) & 1 else E1
            n = (x >> (4 * i)) & 15
            x = (x & ~(15 << (4 * i))) | (t[n] << (4 * i))
        y = 0
        for j in range(64):
            y |= ((x >> j) & 1) << P[j]
        x = y
        k = rotl(k, 1)
    return x


def sta_decrypt(dk, e):
    """Spec 11.1, decryption, bit by bit."""
    k = dk
    x = e
    for _ in range(16):
        y = 0
        for j in range(64):
            y |= ((x >> j) & 1) << Q[j]
        for i in range(16):
            t = D2 if (k >> (4 * i)) & 1 else D1
            n = (y >> (4 * i)) & 15
            y = (y & ~(15 << (4 * i))) | (t[n] << (4 * i))
        x = y
        k = rotr(k, 1)
    return x


def crc_field(cls, d, currency=False):
    """Spec 5: MODBUS CRC over 7 big-endian bytes of (class << 48 | d >> 16), byte-swapped."""
    data = ((cls << 48) | (d >> 16)).to_bytes(7, "big")
    if currency:
        data += b"\x01"
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return ((crc & 0xFF) << 8) | (crc >> 8)


def amount_decode(f):
    """Spec 6.1."""
    e, m = f >> 14, f & 0x3FFF
    return m * 10**e + sum(2**14 * 10 ** (n - 1) for n in range(1, e + 1))


def amount_encode(t):
    """Spec 6.2: first exponent whose rounded-up mantissa fits."""
    for e in range(4):
        off = sum(2**14 * 10 ** (n - 1) for n in range(1, e + 1))
        m = -(-max(0, t - off) // 10**e)
        if m <= 0x3FFF:
            return (e << 14) | m
    raise ValueError("amount out of range")


def insert_class(e, cls):
    """Spec 3: 64-bit block E and class -> 66-bit token value."""
    t = e & ~(3 << 27) & M64
    t |= cls << 27
    t |= ((e >> 27) & 3) << 64
    return t


def extract_class(t):
    cls = (t >> 27) & 3
    e = (t & M64 & ~(3 << 27)) | (((t >> 64) & 3) << 27)
    return cls, e


# --- MISTY1, RFC 2994, as the spec (11.2) describes it, one function per RFC box ---

_T = json.load(open(os.path.join(os.path.dirname(__file__), "data", "sts-tables.json")))
S7 = _T["misty1_ea11"]["S7"]["values"]
S9 = _T["misty1_ea11"]["S9"]["values"]


def _fi(x, key):
    d9, d7 = x >> 7, x & 0x7F
    d9 = S9[d9] ^ d7
    d7 = (S7[d7] ^ d9) & 0x7F
    d7 ^= key >> 9
    d9 ^= key & 0x1FF
    d9 = S9[d9] ^ d7
    return (d7 << 9) | d9


def _expand(key):
    k = [int.from_bytes(key[2 * i:2 * i + 2], "big") for i in range(8)]
    return k + [_fi(k[i], k[(i + 1) % 8]) for i in range(8)]


def _fo(ek, x, k):
    t0, t1 = x >> 16, x & 0xFFFF
    t0 ^= ek[k]
    t0 = _fi(t0, ek[(k + 5) % 8 + 8]) ^ t1
    t1 ^= ek[(k + 2) % 8]
    t1 = _fi(t1, ek[(k + 1) % 8 + 8]) ^ t0
    t0 ^= ek[(k + 7) % 8]
    t0 = _fi(t0, ek[(k + 3) % 8 + 8]) ^ t1
    t1 ^= ek[(k + 4) % 8]
    return (t1 << 16) | t0


def _fl(ek, x, k):
    d0, d1 = x >> 16, x & 0xFFFF
    if k % 2 == 0:
        d1 ^= d0 & ek[k // 2]
        d0 ^= d1 | ek[(k // 2 + 6) % 8 + 8]
    else:
        d1 ^= d0 & ek[((k - 1) // 2 + 2) % 8 + 8]
        d0 ^= d1 | ek[((k - 1) // 2 + 4) % 8]
    return (d0 << 16) | d1


def _flinv(ek, x, k):
    d0, d1 = x >> 16, x & 0xFFFF
    if k % 2 == 0:
        d0 ^= d1 | ek[(k // 2 + 6) % 8 + 8]
        d1 ^= d0 & ek[k // 2]
    else:
        d0 ^= d1 | ek[((k - 1) // 2 + 4) % 8]
        d1 ^= d0 & ek[((k - 1) // 2 + 2) % 8 + 8]
    return (d0 << 16) | d1


def misty1_encrypt(key, block):
    ek = _expand(key)
    d0, d1 = block >> 32, block & 0xFFFFFFFF
    for r in (0, 2, 4, 6):
        d0 = _fl(ek, d0, r)
        d1 = _fl(ek, d1, r + 1)
        d1 ^= _fo(ek, d0, r)
        d0 ^= _fo(ek, d1, r + 1)
    d0 = _fl(ek, d0, 8)
    d1 = _fl(ek, d1, 9)
    return (d1 << 32) | d0


def misty1_decrypt(key, block):
    ek = _expand(key)
    d1, d0 = block >> 32, block & 0xFFFFFFFF
    d0 = _flinv(ek, d0, 8)
    d1 = _flinv(ek, d1, 9)
    for r in (6, 4, 2, 0):
        d0 ^= _fo(ek, d1, r + 1)
        d1 ^= _fo(ek, d0, r)
        d0 = _flinv(ek, d0, r)
        d1 = _flinv(ek, d1, r + 1)
    return (d0 << 32) | d1
