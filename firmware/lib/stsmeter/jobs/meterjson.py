"""Reading and checking meter.json into a Config (config.py): once per start.

Every field is checked, whatever JSON value it holds (string, number, true/false, list,
object, null): a bad one raises ValueError("<field> must be ...") naming it, and nothing
else is ever raised. `settings` holds the tunable rules (SETTINGS: name -> (default,
lowest, highest)).
"""

from micropython import const

from .. import BASE_YEARS, EAS
from . import tid
from .clock import minutes_since_1993

# name: (default, lowest, highest)
#
# The saved record (record.py, one state file or journal slot) is 492 bytes with these
# defaults. littlefs keeps a file of up to 512 bytes inline in its folder's metadata (no
# 4 KB flash erase per save on a Pico), and a flash journal slot holds 512 bytes: each TID
# above 50 adds 3 bytes and each log entry above 16 adds 10, so up to tid_store_size 56 or
# event_log_size 18 the record still fits. Larger sizes are allowed and work with state
# files, at the cost of a flash erase per save (tid_store_size 255 with event_log_size 64:
# 1587 bytes).
#
# debit_ahead_wh: the chunk of credit debited in flash ahead of use (credit.py): a power
# cut costs the customer at most this much; a smaller chunk saves more often (one save per
# chunk drawn: 100 Wh at 1 kW is one save every 6 minutes).
# save_interval_s: while energy is drawn, the state is saved at least this often, for the
# clock (a board without a battery-backed RTC restarts its clock from the last save);
# billing does not need it (debit-ahead).
# Times: no maximum above 86400 s, so that every time in the record stays below 2**30
# (record.CLOCK_MAX).
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
    "debit_ahead_wh": (100, 10, 1000),
    "overload_s": (5, 1, 600),
    "trip_delay_s": (30, 1, 3600),
    "trip_delay_max_s": (1920, 1, 86400),
    "trip_calm_s": (600, 1, 86400),
    "save_interval_s": (300, 10, 86400),
    "message_s": (5, 1, 60),
    "relay_test_s": (5, 1, 60),
    "max_load_w": (250000, 1, 250000),
}
_FIRST_YEAR = const(1993)  # provisioned_at: from the first base date...
_LAST_YEAR = const(2999)  # ...until wall-clock minutes since 1993 would pass 2**30 (clock.py)
# (every name is a qstr, kept in RAM for good: see README, "Benchmarks")


def _digits(doc, name, n, lo=None):
    """A string (or a whole number) of n (or lo) ASCII digits."""
    value = doc.get(name, "")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)  # "sgc": 123456 is taken; leading zeros need a string
    sizes = n if lo is None else "%d or %d" % (lo, n)
    if not isinstance(value, str) or len(value) not in ((n,) if lo is None else (lo, n)):
        raise ValueError("%s must be %s digits" % (name, sizes))
    for c in value:
        if not "0" <= c <= "9":
            raise ValueError("%s must be %s digits" % (name, sizes))
    return value


def _int(doc, name, lo, hi, default=None):
    v = doc.get(name, default)
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise ValueError("%s must be an integer %d..%d" % (name, lo, hi))
    return v


def _key(doc, ea):
    """The decoder key: None when absent, else bytes of the length the EA needs."""
    key = doc.get("decoder_key")
    if key is None:
        return None
    n = 16 if ea == "07" else 32
    if not isinstance(key, str) or len(key) != n:
        raise ValueError("decoder_key must be %d hex digits for EA%s" % (n, ea))
    if key.strip("0123456789abcdefABCDEF"):  # (no loop: each character would be a qstr)
        raise ValueError("decoder_key must be hex")
    return bytes.fromhex(key)


def check(cfg, doc):
    """Fill cfg (a Config) from a meter.json document, or raise ValueError."""
    if not isinstance(doc, dict):
        raise ValueError("meter.json must be a JSON object")
    cfg.ea = doc.get("ea", "07")
    if not isinstance(cfg.ea, str) or cfg.ea not in EAS:
        raise ValueError("ea must be 07 or 11")
    cfg.key = _key(doc, cfg.ea)
    cfg.base_year = doc.get("base_date", 2014)
    if (not isinstance(cfg.base_year, int) or isinstance(cfg.base_year, bool)
            or cfg.base_year not in BASE_YEARS):
        raise ValueError("base_date must be 1993, 2014 or 2035")
    cfg.kt = _int(doc, "key_type", 0, 3)
    cfg.krn = _int(doc, "krn", 1, 9)
    cfg.ti = int(_digits(doc, "ti", 2))
    cfg.sgc = int(_digits(doc, "sgc", 6))
    cfg.ken = _int(doc, "ken", 0, 255, 255)
    cfg.pan = _digits(doc, "pan", 18)
    cfg.mfr_code = int(_digits(doc, "mfr_code", 4, 2))
    when = "provisioned_at must be an ISO-8601 UTC time, %d to %d" % (_FIRST_YEAR, _LAST_YEAR)
    try:
        y, mo, d, h, mi, sec = tid.parse_iso(doc.get("provisioned_at", ""))
    except ValueError:
        raise ValueError(when)
    if not _FIRST_YEAR <= y <= _LAST_YEAR:
        raise ValueError(when)
    cfg.epoch_min = minutes_since_1993(y, mo, d, h, mi)  # meter time 0, wall clock
    cfg.epoch_sec = sec
    cfg.production = doc.get("production", False)  # production.py (taken at provisioning)
    if not isinstance(cfg.production, bool):
        raise ValueError("production must be true or false")
    settings = doc.get("settings", {})
    if not isinstance(settings, dict):
        raise ValueError("settings must be a JSON object")
    for name in settings:
        if name not in SETTINGS:
            raise ValueError("settings must name known settings only, not %r" % (name,))
    for name, (default, lo, hi) in SETTINGS.items():
        setattr(cfg, name, _int(settings, name, lo, hi, default))
    for base, top in (("lockout_base_s", "lockout_max_s"),
                      ("trip_delay_s", "trip_delay_max_s")):
        if getattr(cfg, base) > getattr(cfg, top):
            raise ValueError("%s must not exceed %s" % (base, top))
