"""Typed digits -> a checked, parsed token, or a precise rejection (spec sections 1-5).

    from stsmeter.sts.decoder import Decoder, make_cipher
    dec = Decoder(make_cipher("07", bytes.fromhex("0abc12def3456789")))
    tok = dec.decode(b"29054347139309851356")
    if tok.error is None:
        print(tok.cls, tok.sub, tok.amount)  # 0 0 256 (electricity, 0.1 kWh)

`decode` reuses one Token and allocates nothing for bytes-like input: the token belongs
to the decoder until the next call. A rejection sets `tok.error` to "format", "crc" or
"function" and `tok.detail` to a fixed text; no input makes `decode` raise.
"""

from .. import EAS
from . import crc16, digits
from .token import SUBCLASSES, TEST, Token

FORMAT = "format"
CRC = "crc"
FUNCTION = "function"

_BYTES_LIKE = (bytes, bytearray, memoryview)  # built once: a tuple display allocates


def make_cipher(ea, key):
    """The decoder-key cipher for an encryption algorithm code: "07" STA, "11" MISTY1.

    EA09 (DEA) was withdrawn in 2018 and has no trustworthy vector: not supported.
    """
    if ea == EAS[0]:
        from .sta import STA

        return STA(key)
    if ea == EAS[1]:
        from .misty1 import Misty1

        return Misty1(key)
    raise ValueError("unsupported encryption algorithm EA%s" % ea)


class Decoder:
    def __init__(self, cipher=None):
        self.cipher = cipher  # None: only class 1 tokens can be read
        self.token = Token()

    def _reject(self, error, detail):
        tok = self.token
        tok.error = error
        tok.detail = detail
        return tok

    def decode(self, entry):
        """Decode 20 ASCII digits (bytes, bytearray or str); returns the Token."""
        if isinstance(entry, str):
            try:
                entry = entry.encode()
            except UnicodeError:  # lone surrogates on CPython
                return self._reject(FORMAT, "not 20 digits")
        elif not isinstance(entry, _BYTES_LIKE):
            return self._reject(FORMAT, "not 20 digits")
        tok = self.token
        block = tok.block
        cls = digits.to_block(entry, block)
        if cls == digits.BAD_DIGITS:
            return self._reject(FORMAT, "not 20 digits")
        if cls == digits.TOO_BIG:
            return self._reject(FORMAT, "value >= 2^66")
        tok.cls = cls
        if cls == 3:
            return self._reject(FORMAT, "class 3 is reserved")
        if cls != TEST:
            if self.cipher is None:
                return self._reject(CRC, "no decoder key")
            self.cipher.decrypt(block)
        if not crc16.check(cls, block, tok.currency):
            return self._reject(CRC, "CRC mismatch: not for this meter or mistyped")
        if tok.sub >= SUBCLASSES[cls]:
            return self._reject(FUNCTION, "unknown subclass")
        tok.error = None
        tok.detail = ""
        return tok
