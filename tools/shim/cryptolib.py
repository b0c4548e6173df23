"""CPython stand-in for MicroPython's `cryptolib` (AES-128/192/256, ECB and CBC), over
pycryptodome. Like MicroPython's, one object runs one chain: a CBC object keeps its IV
between calls and must not be used for both directions."""

from Crypto.Cipher import AES

MODE_ECB = 1
MODE_CBC = 2


class aes:  # noqa: N801 (MicroPython's name)
    def __init__(self, key, mode, iv=None):
        if mode == MODE_ECB:
            self._c = AES.new(bytes(key), AES.MODE_ECB)
        elif mode == MODE_CBC:
            self._c = AES.new(bytes(key), AES.MODE_CBC, iv=bytes(iv or bytes(16)))
        else:
            raise ValueError("mode")

    def _run(self, fn, data, out):
        if len(data) % 16:
            raise ValueError("blksize")
        result = fn(bytes(data))
        if out is None:
            return result
        out[: len(result)] = result
        return None

    def encrypt(self, data, out=None):
        return self._run(self._c.encrypt, data, out)

    def decrypt(self, data, out=None):
        return self._run(self._c.decrypt, data, out)
