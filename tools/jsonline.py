"""One JSON object per line, the same bytes under CPython and MicroPython.

MicroPython dicts keep no insertion order and its float repr is not shortest-round-trip,
so keys come out in a given order (the rest sorted) and floats with "%.5f" (every float
here is a decimal with at most 5 places: kWh, m3, currency units).
"""

import json


def _value(v):
    if isinstance(v, float):
        text = ("%.5f" % v).rstrip("0")
        return text + "0" if text.endswith(".") else text
    if isinstance(v, dict):
        return dumps(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return json.dumps(v)


def dumps(d, order=()):
    """JSON text of a dict: keys in `order` first, then the others sorted."""
    keys = [k for k in order if k in d] + sorted(k for k in d if k not in order)
    return "{" + ", ".join("%s: %s" % (json.dumps(k), _value(d[k])) for k in keys) + "}"
