"""EA11, MISTY1 (RFC 2994) on a 64-bit block held as 8 big-endian bytes, spec 11.2 [V].

The 128-bit decoder key (standard order) is the MISTY1 key; the block is the 8 bytes of
D, big-endian. Everything runs on 16-bit halves, so no value reaches 2**30 and nothing
is allocated per block: the 32-bit FO/FL inputs are kept as (high, low) pairs, FI is
written out inline, and the key schedule is expanded once per key.

Both directions run one Feistel engine, `_feistel`: an FL layer before every second FO
round and after the last, with L = the block's high half and R = its low half on entry,
and R || L on exit. Encryption uses FL and rounds 0..7; decryption FL^-1 and rounds 7..0.
"""

from array import array

# RFC 2994 S-boxes (sts-tables.json, misty1_ea11).
S7 = bytes((
    27, 50, 51, 90, 59, 16, 23, 84, 91, 26, 114, 115, 107, 44, 102, 73, 31, 36, 19, 108, 55,
    46, 63, 74, 93, 15, 64, 86, 37, 81, 28, 4, 11, 70, 32, 13, 123, 53, 68, 66, 43, 30, 65,
    20, 75, 121, 21, 111, 14, 85, 9, 54, 116, 12, 103, 83, 40, 10, 126, 56, 2, 7, 96, 41,
    25, 18, 101, 47, 48, 57, 8, 104, 95, 120, 42, 76, 100, 69, 117, 61, 89, 72, 3, 87, 124,
    79, 98, 60, 29, 33, 94, 39, 106, 112, 77, 58, 1, 109, 110, 99, 24, 119, 35, 5, 38, 118,
    0, 49, 45, 122, 127, 97, 80, 34, 17, 6, 71, 22, 82, 78, 113, 62, 105, 67, 52, 92, 88,
    125
))
S9 = array("H", (
    451, 203, 339, 415, 483, 233, 251, 53, 385, 185, 279, 491, 307, 9, 45, 211, 199, 330,
    55, 126, 235, 356, 403, 472, 163, 286, 85, 44, 29, 418, 355, 280, 331, 338, 466, 15, 43,
    48, 314, 229, 273, 312, 398, 99, 227, 200, 500, 27, 1, 157, 248, 416, 365, 499, 28, 326,
    125, 209, 130, 490, 387, 301, 244, 414, 467, 221, 482, 296, 480, 236, 89, 145, 17, 303,
    38, 220, 176, 396, 271, 503, 231, 364, 182, 249, 216, 337, 257, 332, 259, 184, 340, 299,
    430, 23, 113, 12, 71, 88, 127, 420, 308, 297, 132, 349, 413, 434, 419, 72, 124, 81, 458,
    35, 317, 423, 357, 59, 66, 218, 402, 206, 193, 107, 159, 497, 300, 388, 250, 406, 481,
    361, 381, 49, 384, 266, 148, 474, 390, 318, 284, 96, 373, 463, 103, 281, 101, 104, 153,
    336, 8, 7, 380, 183, 36, 25, 222, 295, 219, 228, 425, 82, 265, 144, 412, 449, 40, 435,
    309, 362, 374, 223, 485, 392, 197, 366, 478, 433, 195, 479, 54, 238, 494, 240, 147, 73,
    154, 438, 105, 129, 293, 11, 94, 180, 329, 455, 372, 62, 315, 439, 142, 454, 174, 16,
    149, 495, 78, 242, 509, 133, 253, 246, 160, 367, 131, 138, 342, 155, 316, 263, 359, 152,
    464, 489, 3, 510, 189, 290, 137, 210, 399, 18, 51, 106, 322, 237, 368, 283, 226, 335,
    344, 305, 327, 93, 275, 461, 121, 353, 421, 377, 158, 436, 204, 34, 306, 26, 232, 4,
    391, 493, 407, 57, 447, 471, 39, 395, 198, 156, 208, 334, 108, 52, 498, 110, 202, 37,
    186, 401, 254, 19, 262, 47, 429, 370, 475, 192, 267, 470, 245, 492, 269, 118, 276, 427,
    117, 268, 484, 345, 84, 287, 75, 196, 446, 247, 41, 164, 14, 496, 119, 77, 378, 134,
    139, 179, 369, 191, 270, 260, 151, 347, 352, 360, 215, 187, 102, 462, 252, 146, 453,
    111, 22, 74, 161, 313, 175, 241, 400, 10, 426, 323, 379, 86, 397, 358, 212, 507, 333,
    404, 410, 135, 504, 291, 167, 440, 321, 60, 505, 320, 42, 341, 282, 417, 408, 213, 294,
    431, 97, 302, 343, 476, 114, 394, 170, 150, 277, 239, 69, 123, 141, 325, 83, 95, 376,
    178, 46, 32, 469, 63, 457, 487, 428, 68, 56, 20, 177, 363, 171, 181, 90, 386, 456, 468,
    24, 375, 100, 207, 109, 256, 409, 304, 346, 5, 288, 443, 445, 224, 79, 214, 319, 452,
    298, 21, 6, 255, 411, 166, 67, 136, 80, 351, 488, 289, 115, 382, 188, 194, 201, 371,
    393, 501, 116, 460, 486, 424, 405, 31, 65, 13, 442, 50, 61, 465, 128, 168, 87, 441, 354,
    328, 217, 261, 98, 122, 33, 511, 274, 264, 448, 169, 285, 432, 422, 205, 243, 92, 258,
    91, 473, 324, 502, 173, 165, 58, 459, 310, 383, 70, 225, 30, 477, 230, 311, 506, 389,
    140, 143, 64, 437, 190, 120, 0, 172, 272, 350, 292, 2, 444, 162, 234, 112, 508, 278,
    348, 76, 450
))


def _fi(x, k):
    """RFC 2994 FI with a 16-bit key (key schedule only; the rounds inline it)."""
    d9 = S9[x >> 7] ^ (x & 0x7F)
    d7 = ((S7[x & 0x7F] ^ d9) & 0x7F) ^ (k >> 9)
    d9 = S9[d9 ^ (k & 0x1FF)] ^ d7
    return (d7 << 9) | d9


def _feistel(buf, fo_keys, fl_keys, inverse):
    """8 FO rounds with 5 FL layers; fo_keys[s] and fl_keys[m] are per-key tuples."""
    s7 = S7
    s9 = S9
    l0 = (buf[0] << 8) | buf[1]
    l1 = (buf[2] << 8) | buf[3]
    r0 = (buf[4] << 8) | buf[5]
    r1 = (buf[6] << 8) | buf[7]
    for s in range(9):
        if not s & 1:  # FL layer m = s // 2 on both halves
            la, lb, ra, rb = fl_keys[s >> 1]
            if inverse:
                l0 ^= l1 | lb
                l1 ^= l0 & la
                r0 ^= r1 | rb
                r1 ^= r0 & ra
            else:
                l1 ^= l0 & la
                l0 ^= l1 | lb
                r1 ^= r0 & ra
                r0 ^= r1 | rb
            if s == 8:
                break
        # R ^= FO(L); then swap halves. FI(x, k) inline, its key split into k7, k9.
        ko1, a7, a9, ko2, b7, b9, ko3, c7, c9, ko4 = fo_keys[s]
        x = l0 ^ ko1
        d9 = s9[x >> 7] ^ (x & 0x7F)
        d7 = ((s7[x & 0x7F] ^ d9) & 0x7F) ^ a7
        t0 = ((d7 << 9) | (s9[d9 ^ a9] ^ d7)) ^ l1
        x = l1 ^ ko2
        d9 = s9[x >> 7] ^ (x & 0x7F)
        d7 = ((s7[x & 0x7F] ^ d9) & 0x7F) ^ b7
        t1 = ((d7 << 9) | (s9[d9 ^ b9] ^ d7)) ^ t0
        x = t0 ^ ko3
        d9 = s9[x >> 7] ^ (x & 0x7F)
        d7 = ((s7[x & 0x7F] ^ d9) & 0x7F) ^ c7
        t0 = ((d7 << 9) | (s9[d9 ^ c9] ^ d7)) ^ t1
        r0 ^= t1 ^ ko4
        r1 ^= t0
        l0, r0 = r0, l0
        l1, r1 = r1, l1
    buf[0] = r0 >> 8
    buf[1] = r0 & 0xFF
    buf[2] = r1 >> 8
    buf[3] = r1 & 0xFF
    buf[4] = l0 >> 8
    buf[5] = l0 & 0xFF
    buf[6] = l1 >> 8
    buf[7] = l1 & 0xFF


class Misty1:
    """EA11 with one decoder key (16 bytes, standard order)."""

    def __init__(self, key):
        if len(key) != 16:
            raise ValueError("EA11 needs a 128-bit key")
        k = [(key[2 * i] << 8) | key[2 * i + 1] for i in range(8)]
        kp = [_fi(k[i], k[(i + 1) % 8]) for i in range(8)]  # K'i

        def fo(r):  # KO1, KI1, KO2, KI2, KO3, KI3, KO4 of FO round r, KIs split 7/9
            out = []
            for ko, ki in ((k[r], kp[(r + 5) % 8]), (k[(r + 2) % 8], kp[(r + 1) % 8]),
                           (k[(r + 7) % 8], kp[(r + 3) % 8])):
                out += (ko, ki >> 9, ki & 0x1FF)
            return tuple(out) + (k[(r + 4) % 8],)

        def fl(n):  # (AND key, OR key) of FL n
            if n & 1:
                return kp[((n - 1) // 2 + 2) % 8], k[((n - 1) // 2 + 4) % 8]
            return k[n // 2], kp[(n // 2 + 6) % 8]

        self._enc = ([fo(r) for r in range(8)],
                     [fl(2 * m) + fl(2 * m + 1) for m in range(5)])
        self._dec = ([fo(r) for r in range(7, -1, -1)],
                     [fl(9 - 2 * m) + fl(8 - 2 * m) for m in range(5)])

    def encrypt(self, buf):
        """Encrypt the 8-byte block in buf in place (vending side)."""
        _feistel(buf, self._enc[0], self._enc[1], False)

    def decrypt(self, buf):
        """Decrypt the 8-byte block in buf in place."""
        _feistel(buf, self._dec[0], self._dec[1], True)
