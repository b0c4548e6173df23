"""The key record: the meter's decoder key and its key data, sealed (AES-CBC + CMAC under
the device key, seal.py) at the head of the state record (record.py). Used at start
(provisioning, unsealing the saved one) and by a key change (key_change.py).
"""

import struct

import cryptolib

from .. import BASE_YEARS, EAS
from ..kct import KeyChange
from ..seal import CBC

_KEY_FMT = "<BBBBBB3sB16s6x"  # ea, kt, krn, ti, ken, base index, sgc, key length, key


def install(m, ea, key, kt, krn, ti, ken, sgc, base_year):
    """Make a key and its data the meter's (a pending key change set is dropped)."""
    m.ea, m.key, m.kt, m.krn, m.ti = ea, key, kt, krn, ti
    m.ken, m.sgc, m.base_year = ken, sgc, base_year
    m.kct = KeyChange(len(key), m.cfg.key_change_timeout_s)
    m.decoder = None  # a kept key schedule is the old key's


def seal(m):
    """Seal the meter's current key record into m.sealed (after provisioning or a key
    change)."""
    plain = struct.pack(_KEY_FMT, EAS.index(m.ea), m.kt, m.krn, m.ti, m.ken,
                        BASE_YEARS.index(m.base_year), m.sgc.to_bytes(3, "big"),
                        len(m.key), bytes(m.key) + bytes(16 - len(m.key)))
    iv = bytes(m.random_bytes(16))
    ct = bytearray(len(plain))
    cryptolib.aes(m.sealer.seal_key, CBC, iv).encrypt(plain, ct)
    body = iv + bytes(ct)
    m.sealed = body + m.sealer.cmac.mac(body)  # IV + AES-CBC(plain) + CMAC


def unseal(m, blob):
    """Install the key record in a sealed blob; False if it is not genuine."""
    body, tag = blob[:-16], blob[-16:]
    if len(blob) < 48 or m.sealer.cmac.mac(body) != bytes(tag):
        return False  # not this device's genuine seal
    plain = bytearray(len(body) - 16)
    cryptolib.aes(m.sealer.seal_key, CBC, body[:16]).decrypt(body[16:], plain)
    ea, kt, krn, ti, ken, base, sgc, n, key = struct.unpack(_KEY_FMT, plain)
    install(m, EAS[ea], key[:n], kt, krn, ti, ken, int.from_bytes(sgc, "big"),
            BASE_YEARS[base])
    m.sealed = blob
    return True
