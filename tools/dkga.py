"""Decoder key generation on the vending side (spec section 12), CPython only.

DKGA02: DK = DES(VK, PANBlock ^ CONTROLBlock) ^ (PANBlock ^ CONTROLBlock) ^ VK, 64 bits.
DKGA04: DK = first 8 (EA07) or 16 (EA11) bytes of HMAC-SHA-256(VK, M), VK 160 bits.
Keys come out in the spec's standard order (not NectarAPI's byte-reversed order).
DKGA01 and DKGA03 are legacy and not implemented (spec 12.3).
"""

import hashlib
import hmac
import sys

if __name__ == "__main__":  # a library: say where its command is
    sys.stderr.write("dkga.py: error: a library, not a command: derive a key with "
                     ".venv/bin/python tools/sts.py keygen (or tools/provision.py --dkga)\n")
    sys.exit(2)

from Crypto.Cipher import DES

LEGACY_IIN = "600727"


def luhn_digit(digits):
    """Luhn check digit for a string of digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def make_pan(iin, iain):
    """18-digit PAN = IIN ('600727' + 11-digit IAIN, or '0000' + 13) + Luhn digit."""
    body = iin + iain
    if not body.isdigit() or len(body) != 17 or iin not in (LEGACY_IIN, "0000"):
        raise ValueError("IIN must be 600727 (with an 11-digit IAIN) or 0000 (13 digits)")
    return body + luhn_digit(body)


def check_pan(pan):
    if not (len(pan) == 18 and pan.isdigit()):
        raise ValueError("PAN must be 18 digits")
    if luhn_digit(pan[:-1]) != pan[-1]:
        raise ValueError("PAN check digit is wrong (expected %s)" % luhn_digit(pan[:-1]))
    return pan


def _check_common(kt, sgc, ti, krn):
    if kt not in (0, 1, 2, 3):
        raise ValueError("key type must be 0..3")
    if not (len(sgc) == 6 and sgc.isdigit()):
        raise ValueError("SGC must be 6 digits")
    if not (len(ti) == 2 and ti.isdigit()):
        raise ValueError("TI must be 2 digits")
    if krn not in range(1, 10):
        raise ValueError("KRN must be 1..9")


def dkga02(vk, kt, sgc, ti, krn, pan):
    """64-bit decoder key from an 8-byte DES vending key (spec 12.2)."""
    _check_common(kt, sgc, ti, krn)
    check_pan(pan)
    if len(vk) != 8:
        raise ValueError("DKGA02 vending key must be 64 bits (16 hex digits)")
    body = pan[:-1]
    if kt == 3:  # DCTK: the DRN digits become zeros
        iin_len = 6 if body.startswith(LEGACY_IIN) else 4
        body = body[:iin_len] + "0" * (len(body) - iin_len)
    pan_block = bytes.fromhex(body[-16:])
    control = bytes.fromhex("%d%s%s%dFFFFFF" % (kt, sgc, ti, krn))
    x = bytes(a ^ b for a, b in zip(pan_block, control))
    y = DES.new(vk, DES.MODE_ECB).encrypt(x)
    return bytes(a ^ b ^ c for a, b, c in zip(y, x, vk))


def dkga04(vk, base_date, ea, ti, sgc, kt, krn, pan):
    """64-bit (EA07) or 128-bit (EA11) decoder key from a 20-byte vending key (spec 12.4)."""
    _check_common(kt, sgc, ti, krn)
    check_pan(pan)
    if len(vk) != 20:
        raise ValueError("DKGA04 vending key must be 160 bits (40 hex digits)")
    if ea not in ("07", "11"):
        raise ValueError("EA must be 07 or 11")
    if base_date not in (1993, 2014, 2035):
        raise ValueError("base date must be 1993, 2014 or 2035")

    def items(*texts):  # item count, then each item as 1 length byte + ASCII
        return bytes([len(texts)]) + b"".join(bytes([len(t)]) + t.encode() for t in texts)

    bits = 64 if ea == "07" else 128
    message = (items("04", "%02d" % (base_date % 100), ea, ti) + b"\x00"
               + items(sgc, str(kt), str(krn), pan) + bits.to_bytes(4, "big"))
    return hmac.new(vk, message, hashlib.sha256).digest()[: bits // 8]
