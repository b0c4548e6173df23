"""AES-CMAC (RFC 4493) with `cryptolib`, and the keys bound to the device (sealing the
decoder key with AES-CBC under one of them: jobs/key_record.py).

The device-bound keys are derived from the board's unique ID (`machine.unique_id()` on a
board; a stand-in file on the PC): SHA-256 of a label and the ID, first 16 bytes. That
keeps a copied or hand-edited state file from passing as genuine; it is not a secure
element - whoever holds the board can read its ID.
"""

import hashlib

import cryptolib

CBC = 2  # (jobs/key_record.py)


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

    One AES-CBC object does all the AES work, in C (an AES object takes ~500 bytes of
    heap: one, kept). CMAC chains the blocks exactly as CBC with a zero IV does; the CBC
    object's chain goes on from its last call, so the first block of each message is XORed
    with that chain value (which gives the zero IV back), and the last block, done here,
    likewise (which makes CBC a plain AES block). 64 bytes per call through a buffer made
    once: nothing is allocated that grows with the data."""

    def __init__(self, key):
        self._cbc = cryptolib.aes(key, CBC, bytes(16))
        self._chain = bytearray(16)  # where the CBC object's chain stands
        buf = memoryview(bytearray(64))
        self._out = (buf[:16], buf[:32], buf[:48], buf)  # by length // 16 - 1
        zero = bytearray(16)
        self._block(zero)  # L = AES(0)
        self._k1 = _shift(zero)
        self._k2 = _shift(self._k1)

    def _block(self, x):
        """x = AES(x), in place, through the CBC object."""
        chain = self._chain
        for i in range(16):
            x[i] ^= chain[i]
        self._cbc.encrypt(x, x)
        chain[:] = x

    def mac(self, data):
        n = len(data)
        complete = n and n % 16 == 0
        head = n - 16 if complete else n - n % 16  # bytes before the last block
        x = self._out[0]
        chain = self._chain
        if head:
            for i in range(16):
                x[i] = data[i]
            self._block(x)
            src = memoryview(data)
            k = 16
            while k < head:  # chained by the CBC object itself, from the chain value
                step = min(64, head - k)
                out = self._out[(step >> 4) - 1]
                self._cbc.encrypt(src[k : k + step], out)
                k += step
                chain[:] = out[step - 16 : step]
            x[:] = chain
        else:
            for i in range(16):
                x[i] = 0
        sub = self._k1 if complete else self._k2  # complete -> K1; partial/empty -> 10..0, K2
        for i in range(16):
            j = head + i
            b = data[j] if j < n else (0x80 if j == n else 0)
            x[i] ^= b ^ sub[i]
        self._block(x)
        return bytes(x)


class Sealer:
    """A device's two keys: `cmac` MACs state records, `seal_key` seals small secrets (the
    decoder key record, jobs/key_record.py)."""

    def __init__(self, device_id):
        self.seal_key = derive(device_id, b"stsmeter key seal v1")
        self.cmac = CMAC(derive(device_id, b"stsmeter state mac v1"))
