"""The key record: the decoder key and its key data, sealed (AES-CBC + CMAC under the
device key, seal.py) at the head of the state record. Used at start and on a key change.
"""

import struct

from .keychange import KeyChange

_FMT = "<BBBBBB3sB16s6x"  # ea, kt, krn, ti, ken, base index, sgc, key length, key
_EAS = ("07", "11")
_BASE_YEARS = (1993, 2014, 2035)  # tid.BASE_YEARS


def install(m, ea, key, kt, krn, ti, ken, sgc, base_year):
    """Make a key and its data the meter's (a pending key change set is dropped)."""
    m.ea, m.key, m.kt, m.krn, m.ti = ea, key, kt, krn, ti
    m.ken, m.sgc, m.base_year = ken, sgc, base_year
    m.kct = KeyChange(len(key), m.cfg.key_change_timeout_s)


def seal(m):
    """Seal the meter's current key record into m.sealed (after provisioning or a key
    change)."""
    plain = struct.pack(_FMT, _EAS.index(m.ea), m.kt, m.krn, m.ti, m.ken,
                        _BASE_YEARS.index(m.base_year), m.sgc.to_bytes(3, "big"),
                        len(m.key), bytes(m.key) + bytes(16 - len(m.key)))
    m.sealed = m.sealer.seal(plain, m.random_bytes(16))


def unseal(m, blob):
    """Install the key record in a sealed blob; False if it is not genuine."""
    plain = m.sealer.unseal(blob)
    if plain is None:
        return False
    ea, kt, krn, ti, ken, base, sgc, n, key = struct.unpack(_FMT, plain)
    install(m, _EAS[ea], key[:n], kt, krn, ti, ken, int.from_bytes(sgc, "big"),
            _BASE_YEARS[base])
    m.sealed = blob
    return True
