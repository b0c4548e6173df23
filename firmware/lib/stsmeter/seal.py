"""AES-CMAC (RFC 4493) with `cryptolib`, and the keys bound to the device (sealing the
decoder key with AES-CBC under one of them: keyrecord.py).

The device-bound keys are derived from the board's unique ID (`machine.unique_id()` on a
board; a stand-in file on the PC): SHA-256 of a label and the ID, first 16 bytes. That
keeps a copied or hand-edited state file from passing as genuine; it is not a secure
element - whoever holds the board can read its ID.
"""

import hashlib

import cryptolib

_ECB = 1
CBC = 2  # (keyrecord.py)


def derive(device_id, label):
    """A 16-byte AES key for one purpose (label) on one device."""
    return hashlib.sha256(label + bytes(device_id)).digest()[:16]


def _shift(block):
    """block << 1 in GF(2^128), RFC 4493 subkey doubling."""
    out = bytearray(16)
    carry = 0
    for i in range(15, -1, -1):
        b = block[i]
        out[i] = ((b << 1) & 0xFF) | carry
        carry = b >> 7
    if block[0] & 0x80:
        out[15] ^= 0x87
    return out


class CMAC:
    """AES-128-CMAC with one key; `mac(data)` gives the 16-byte tag.

    Every block but the last is one AES-CBC call with a zero IV (CMAC chains exactly as
    CBC does), in C; only the last block is done here: 16 XORs and one AES block."""

    def __init__(self, key):
        self._key = key
        self._aes = cryptolib.aes(key, _ECB)
        self._x = bytearray(16)
        zero = bytearray(16)
        self._aes.encrypt(zero, zero)
        self._k1 = _shift(zero)
        self._k2 = _shift(self._k1)

    def mac(self, data):
        n = len(data)
        complete = n and n % 16 == 0
        head = n - 16 if complete else n - n % 16  # bytes before the last block
        x = self._x
        if head:
            chained = bytearray(head)
            cryptolib.aes(self._key, CBC, bytes(16)).encrypt(data[:head], chained)
            x[:] = chained[head - 16 :]
        else:
            x[:] = bytes(16)
        sub = self._k1 if complete else self._k2  # complete -> K1; partial/empty -> 10..0, K2
        for i in range(16):
            j = head + i
            b = data[j] if j < n else (0x80 if j == n else 0)
            x[i] ^= b ^ sub[i]
        self._aes.encrypt(x, x)
        return bytes(x)


class Sealer:
    """A device's two keys: `cmac` MACs state records, `seal_key` seals small secrets (the
    decoder key record, keyrecord.py)."""

    def __init__(self, device_id):
        self.seal_key = derive(device_id, b"stsmeter key seal v1")
        self.cmac = CMAC(derive(device_id, b"stsmeter state mac v1"))
