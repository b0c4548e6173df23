"""The provisioning file (meter.json): the meter's identity, first key, and settings.

    {"decoder_key": "0ABC...", "ea": "07", "base_date": 2014, "key_type": 2, "krn": 1,
     "ti": "01", "sgc": "123456", "ken": 255, "pan": "600727000000000009",
     "mfr_code": "07", "provisioned_at": "2026-01-01T00:00:00Z", "settings": {...}}

`decoder_key` is needed only until the first start seals it into the state; a board keeps
the file without it. The meter clock counts seconds from `provisioned_at`, so it stays a
small int on a board for 34 years; `Config` converts between it and wall-clock time.
"""

from . import tid


def minutes_since_1993(y, mo, d, h=0, mi=0):
    """Wall-clock minutes since 1993-01-01 00:00 UTC (below 2**30 until the year 3000)."""
    return (tid.days_from_civil(y, mo, d) - tid.days_from_civil(1993, 1, 1)) * 1440 + h * 60 + mi


class Config:
    """A parsed, checked meter.json (meterjson.py checks it: ValueError naming the first
    bad field); its settings are attributes."""

    def __init__(self, doc):
        from . import meterjson, release

        meterjson.check(self, doc)
        release("meterjson")  # used once per start

    def seconds_at(self, y, mo, d, h=0, mi=0, sec=0):
        """Meter-clock seconds of a UTC time (negative before provisioning)."""
        return (minutes_since_1993(y, mo, d, h, mi) - self._epoch_min) * 60 + sec - self._epoch_sec

    def seconds(self, text):
        """Meter-clock seconds of an ISO-8601 UTC time."""
        return self.seconds_at(*tid.parse_iso(text))

    def wall(self, t):
        """(minutes since 1993, second) of meter-clock time t."""
        total = self._epoch_sec + t
        return self._epoch_min + total // 60, total % 60

    def iso(self, t):
        """ISO-8601 UTC text of meter-clock time t."""
        mins, sec = self.wall(t)
        days, mins = divmod(mins, 1440)
        y, mo, d = tid.civil_from_days(tid.days_from_civil(1993, 1, 1) + days)
        return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (y, mo, d, mins // 60, mins % 60, sec)

    def tid_at(self, t, base_year):
        """The TID a token issued at meter-clock time t carries (0 before the base date)."""
        mins = self.wall(t)[0] - minutes_since_1993(base_year, 1, 1)
        return min(max(mins, 0), tid.MAX)

    def drn(self):
        """The meter number printed on the meter: the PAN without IIN and check digit."""
        return self.pan[6:17] if self.pan.startswith("600727") else self.pan[4:17]
