"""The provisioning file (meter.json): the meter's identity, first key, and settings.

    {"decoder_key": "0ABC...", "ea": "07", "base_date": 2014, "key_type": 2, "krn": 1,
     "ti": "01", "sgc": "123456", "ken": 255, "pan": "600727000000000009",
     "mfr_code": "07", "provisioned_at": "2026-01-01T00:00:00Z", "settings": {...}}

`decoder_key` is needed only until the first start seals it into the state; a board keeps
the file without it. The meter clock counts seconds from `provisioned_at`, so it stays a
small int on a board for 34 years; `Config` converts between it and wall-clock time.
"""

from . import tid

# name: (default, lowest, highest)
SETTINGS = {
    "tid_store_size": (50, 50, 255),
    "event_log_size": (16, 4, 64),
    "lockout_free": (3, 1, 20),
    "lockout_base_s": (10, 1, 3600),
    "lockout_max_s": (1280, 1, 86400),
    "entry_timeout_s": (20, 5, 600),
    "key_change_timeout_s": (600, 60, 86400),
    "low_credit_wh": (2000, 0, 1000000),
    "emergency_credit_wh": (5000, 0, 1000000),
    "credit_limit_wh": (999999900, 1000, 999999900),
    "overload_s": (5, 1, 600),
    "trip_delay_s": (30, 1, 3600),
    "trip_delay_max_s": (1920, 1, 86400),
    "trip_calm_s": (600, 1, 86400),
    "save_interval_s": (300, 10, 86400),
    "message_s": (5, 1, 60),
    "relay_test_s": (5, 1, 60),
    "max_load_w": (250000, 1, 250000),
}


def minutes_since_1993(y, mo, d, h=0, mi=0):
    """Wall-clock minutes since 1993-01-01 00:00 UTC (below 2**30 until the year 3000)."""
    return (tid.days_from_civil(y, mo, d) - tid.days_from_civil(1993, 1, 1)) * 1440 + h * 60 + mi


def _digits(value, n, name, lo=None):
    value = str(value)
    if not (value.isdigit() and len(value) in ((n,) if lo is None else (lo, n))):
        sizes = n if lo is None else "%d or %d" % (lo, n)
        raise ValueError("%s must be %s digits" % (name, sizes))
    return value


class Config:
    """A parsed, checked meter.json. Raises ValueError naming the first bad field."""

    def __init__(self, doc):
        key = doc.get("decoder_key")
        self.ea = str(doc.get("ea", "07"))
        if self.ea not in ("07", "11"):
            raise ValueError("ea must be 07 or 11")
        self.key = None
        if key is not None:
            try:
                self.key = bytes.fromhex(key)
            except ValueError:
                raise ValueError("decoder_key must be hex")
            if len(self.key) != (8 if self.ea == "07" else 16):
                raise ValueError("decoder_key must be %d hex digits for EA%s"
                                 % (16 if self.ea == "07" else 32, self.ea))
        self.base_year = doc.get("base_date", 2014)
        if self.base_year not in tid.BASE_YEARS:
            raise ValueError("base_date must be 1993, 2014 or 2035")
        self.kt = self._int(doc, "key_type", 0, 3)
        self.krn = self._int(doc, "krn", 1, 9)
        self.ti = int(_digits(doc.get("ti", ""), 2, "ti"))
        self.sgc = int(_digits(doc.get("sgc", ""), 6, "sgc"))
        self.ken = self._int(doc, "ken", 0, 255, 255)
        self.pan = _digits(doc.get("pan", ""), 18, "pan")
        self.mfr_code = int(_digits(doc.get("mfr_code", ""), 4, "mfr_code", 2))
        try:
            y, mo, d, h, mi, sec = tid.parse_iso(str(doc.get("provisioned_at", "")))
        except ValueError:
            raise ValueError("provisioned_at must be an ISO-8601 UTC time")
        self._epoch_min = minutes_since_1993(y, mo, d, h, mi)  # meter time 0, wall clock
        self._epoch_sec = sec
        settings = doc.get("settings", {})
        for name in settings:
            if name not in SETTINGS:
                raise ValueError("unknown setting %s" % name)
        for name, (default, lo, hi) in SETTINGS.items():
            setattr(self, name, self._int(settings, name, lo, hi, default))
        for base, top in (("lockout_base_s", "lockout_max_s"),
                          ("trip_delay_s", "trip_delay_max_s")):
            if getattr(self, base) > getattr(self, top):
                raise ValueError("%s must not exceed %s" % (base, top))

    @staticmethod
    def _int(doc, name, lo, hi, default=None):
        v = doc.get(name, default)
        if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
            raise ValueError("%s must be an integer %d..%d" % (name, lo, hi))
        return v

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
