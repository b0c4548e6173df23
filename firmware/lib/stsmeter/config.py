"""The provisioning file (meter.json): the meter's identity, first key, and settings.

    {"decoder_key": "0ABC...", "ea": "07", "base_date": 2014, "key_type": 2, "krn": 1,
     "ti": "01", "sgc": "123456", "ken": 255, "pan": "600727000000000009",
     "mfr_code": "07", "provisioned_at": "2026-01-01T00:00:00Z", "settings": {...}}

`decoder_key` is needed only until the first start seals it into the state; a board keeps
the file without it. The meter clock counts seconds from `provisioned_at`, so it stays a
small int on a board: it stops at record.CLOCK_MAX, about 34 years on (meter.py); clock.py
converts between it and wall-clock time.
"""

class Config:
    """A parsed, checked meter.json (meterjson.py checks it: ValueError naming the first
    bad field, whatever the document holds); its fields and settings are attributes.
    Meter time 0 is `epoch_min` minutes and `epoch_sec` seconds after 1993-01-01 00:00
    UTC."""

    def __init__(self, doc):
        from .jobs import meterjson

        from . import release

        meterjson.check(self, doc)
        release("start")  # (meterjson, clock, tid: before the meter's start loads its own)
