"""JSON request -> JSON answer for the STS codec, the same code under CPython and MicroPython.

`tools/sts.py` calls `answer()` in-process (CPython) or runs this file under the
MicroPython unix port (`--runtime micropython`), where it reads one JSON request per line
on stdin and writes one answer line per request. Both paths format with `dumps`, so the
two runtimes can be compared byte for byte.

Requests:
  {"token": "...", "key": HEX, "alg": "sta"|"misty1", "base_date": 2014}        decode
  {"op": "generate", "type": NAME, "key": ..., "alg": ..., "tid": N | "issued": ISO,
   "rnd": N, and the fields of the type (see tools/sts.py generate --help)}       generate
Answers: the decoded fields, {"token": DIGITS} / {"tokens": [...]}, or
{"error": "format"|"crc"|"function"|"request", "detail": TEXT}.
"""

import json
import sys

if sys.implementation.name == "cpython" and __name__ == "__main__":  # run through the shim
    import paths  # noqa: F401

import jsonline
from stshost import vending
from stshost.describe import TYPES, describe
from stshost.vending import REGISTERS
from stsmeter import BASE_YEARS
from stsmeter.jobs import tid
from stsmeter.sts import amount
from stsmeter.sts.decoder import Decoder, make_cipher
from stsmeter.sts.token import ALL_REGISTERS

ALGS = {"sta": "07", "ea07": "07", "07": "07", "misty1": "11", "ea11": "11", "11": "11"}
KEY_BYTES = {"07": 8, "11": 16}
ORDER = ("error", "detail", "token", "tokens", "class", "subclass", "type", "rnd", "tid",
         "issued", "amount", "unit", "limit_w", "register", "rate", "pad", "factor",
         "control", "mfr_code", "kenho", "kenlo", "krn", "ro", "res", "kt", "ti", "sgclo",
         "sgcho", "key_section", "block")


class RequestError(Exception):
    pass


def dumps(d):
    return jsonline.dumps(d, ORDER)


def decimal_units(value, places):
    """Exact decimal (number or text) -> integer count of 10**-places, rounded up."""
    if value is None:
        raise RequestError("missing amount")
    text = repr(value) if isinstance(value, float) else str(value)
    text = text.strip()
    neg = text.startswith("-")
    text = text.lstrip("+-")
    if "e" in text or "E" in text or not text or text.count(".") > 1:
        raise RequestError("amount must be a plain decimal number: %s" % value)
    whole, _, frac = text.partition(".")
    if not (whole or frac) or not (whole + frac).isdigit():
        raise RequestError("amount must be a plain decimal number: %s" % value)
    units = int(whole or "0") * 10**places + int((frac[:places] + "0" * places)[:places])
    if frac[places:].strip("0"):
        units += 1  # beyond the resolution: round up, never less than paid for
    return -units if neg else units


def _int(req, name, lo, hi, default=None):
    v = req.get(name, default)
    if v is None:
        raise RequestError("missing %s" % name)
    if isinstance(v, str):
        try:
            v = int(v, 0)
        except ValueError:
            raise RequestError("%s is not a number: %s" % (name, v))
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise RequestError("%s must be %d..%d" % (name, lo, hi))
    return v


def _hex(req, name, nbytes):
    v = req.get(name)
    if v is None:
        raise RequestError("missing %s" % name)
    try:
        if len(v) != 2 * nbytes:
            raise ValueError
        return bytes.fromhex(v)
    except (TypeError, ValueError):
        raise RequestError("%s must be %d hex digits" % (name, 2 * nbytes))


def cipher_for(req, name="key"):
    ea = ALGS.get(str(req.get("alg", "")).lower())
    if ea is None:
        raise RequestError("alg must be sta or misty1")
    key = req.get(name)
    if key is None:
        raise RequestError("missing %s" % name)
    other = "11" if ea == "07" else "07"
    if isinstance(key, str) and len(key) == 2 * KEY_BYTES[other]:
        raise RequestError("%s is %d hex digits: that is %s key, alg %s" % (
            name, len(key), "an STA (EA07)" if other == "07" else "a MISTY1 (EA11)",
            "sta" if other == "07" else "misty1"))
    return ea, make_cipher(ea, _hex(req, name, KEY_BYTES[ea]))


def base_year(req):
    year = req.get("base_date", 2014)
    if year not in BASE_YEARS:
        raise RequestError("base_date must be 1993, 2014 or 2035")
    return year


def decode(req):
    token = req.get("token")
    if token is None:
        raise RequestError("missing token")
    if not isinstance(token, str):
        raise RequestError("token must be a JSON string of 20 digits, in quotes")
    year = base_year(req)
    cipher = cipher_for(req)[1] if req.get("key") is not None else None
    tok = Decoder(cipher).decode(token)
    if tok.error == "crc" and cipher is None and tok.cls != 1:  # (class 1: no key)
        raise RequestError("missing key: a class %d token is encrypted, decoding it needs "
                           "the meter's decoder key" % tok.cls)
    if tok.error:
        return {"error": tok.error, "detail": tok.detail}
    return describe(tok, year)


def _type(req):
    name = req.get("type")
    if name is None:
        cls = _int(req, "class", 0, 2)
        sub = _int(req, "subclass", 0, 15)
        if sub >= len(TYPES[cls]):
            raise RequestError("no such subclass")
        return cls, sub
    for cls in range(3):
        if name in TYPES[cls]:
            return cls, TYPES[cls].index(name)
    raise RequestError("unknown type %s" % name)


def _tid(req, year):
    if "tid" in req:
        return _int(req, "tid", 0, tid.MAX)
    if "issued" not in req:
        raise RequestError("give tid or issued")
    try:
        y, mo, d, h, mi, _ = tid.parse_iso(str(req["issued"]))
    except ValueError as e:
        raise RequestError(str(e))
    t = tid.from_datetime(year, y, mo, d, h, mi)
    if not 0 <= t <= tid.MAX:
        raise RequestError("issued %s is outside what a token of base date %d can carry: "
                           "%s .. %s" % (req["issued"], year, tid.iso(year, 0),
                                         tid.iso(year, tid.MAX)))
    return t


def _value_field(req, cls, sub):
    """The 16-bit value of a TID-layout token, from the fields named for its type."""
    if cls == 0 and sub < 4:
        t = amount.encode(decimal_units(req.get("amount"), 1))
    elif cls == 0:
        return None  # currency: handled with the RND bits
    elif sub in (0, 6):
        t = amount.encode(_int(req, "limit_w", 0, amount.MAX))
    elif sub == 1:
        reg = req.get("register", "all")
        if reg == "all":
            return ALL_REGISTERS
        if reg in REGISTERS:
            return REGISTERS.index(reg)
        return _int(req, "register", 0, 0xFFFF)
    else:
        name = {2: "rate", 5: "pad", 7: "factor"}[sub]
        return _int(req, name, 0, 0xFFFF, 0 if sub == 5 else None)  # the pad defaults to 0
    if t < 0:
        raise RequestError("amount out of range (0.1 .. 1820162.4 units)")
    return t


def _key_sections(req, ea, only):
    """(subclass, nibble, byte 1, key bytes) of each section of a key change set, or of
    the one section whose subclass is `only`. The new key has the meter's key size."""
    new_key = _hex(req, "new_key", KEY_BYTES[ea])
    ken = _int(req, "ken", 0, 255, 255)
    krn = _int(req, "krn", 1, 9)
    kt = _int(req, "kt", 0, 3)
    ro = _int(req, "ro", 0, 1, 0)
    res = _int(req, "res", 0, 1, 0)
    ti = _int(req, "ti", 0, 99)
    sections = [(3, ken >> 4, (krn << 4) | (ro << 3) | (res << 2) | kt, new_key[0:4]),
                (4, ken & 15, ti, new_key[-4:])]
    if len(new_key) == 16:
        sgc = _int(req, "sgc", 0, 999999)
        sections += [(8, (sgc >> 8) & 15, sgc & 0xFF, new_key[4:8]),
                     (9, sgc >> 20, (sgc >> 12) & 0xFF, new_key[8:12])]
    if only is None:
        return sections
    for s in sections:
        if s[0] == only:
            return [s]
    raise RequestError("a 64-bit key change set has sections 1 and 2 only")


def generate(req):
    year = base_year(req)
    whole_set = req.get("type") == "key_change"  # every section of a key change set
    cls, sub = (2, None) if whole_set else _type(req)
    if cls == 1:
        try:
            tok = vending.test_token(sub, _int(req, "control", 0, (1 << 36) - 1),
                                     _int(req, "mfr_code", 0, 9999))
        except ValueError as e:
            raise RequestError(str(e))
        return {"token": vending.encode(tok)}
    ea, cipher = cipher_for(req)
    if whole_set or cls == 2 and sub in (3, 4, 8, 9):
        sections = _key_sections(req, ea, sub)
        out = []
        for s, nibble, byte1, part in sections:
            out.append(vending.encode(vending.key_section(s, nibble, byte1, part), cipher))
        return {"token": out[0]} if len(out) == 1 else {"tokens": out}
    t = _tid(req, year)
    if (t >> 16) > _int(req, "key_ken", 0, 255, 255):  # spec 13.5: KEN 255 never expires
        raise RequestError("key expired: TID %d is beyond the key's expiry number" % t)
    field = _value_field(req, cls, sub)
    if field is None:  # currency: exponent bits 2..4 and sign take RND (spec 6.4)
        enc = amount.encode_currency(decimal_units(req.get("amount"), 5))
        if enc is None:
            raise RequestError("currency amount out of range")
        field, rnd = enc
    else:
        rnd = _int(req, "rnd", 0, 15)
    return {"token": vending.encode(vending.tid_token(cls, sub, rnd, t, field), cipher)}


def answer(req):
    """One request dict -> one answer dict. Never raises for bad input."""
    if not isinstance(req, dict):
        return {"error": "request", "detail": "a request is a JSON object"}
    try:
        if req.get("op", "decode") == "decode":
            return decode(req)
        if req.get("op") == "generate":
            return generate(req)
        raise RequestError("op must be decode or generate")
    except RequestError as e:
        return {"error": "request", "detail": str(e)}
    except ValueError as e:  # e.g. a key the cipher refuses
        return {"error": "request", "detail": str(e)}


def answer_line(line):
    try:
        req = json.loads(line)
    except ValueError:
        return dumps({"error": "request", "detail": "not a JSON line"})
    return dumps(answer(req))


def main():
    """Answer each line of the file named in argv[1], or of stdin."""
    try:
        stream = open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin
    except OSError:
        sys.stderr.write("sts_requests.py: error: cannot read %s: give a file of JSON "
                         "request lines, or none for stdin\n" % sys.argv[1])
        sys.exit(2)
    while True:
        line = stream.readline()
        if not line:
            break
        if line.strip():
            sys.stdout.write(answer_line(line) + "\n")


if __name__ == "__main__":
    main()
