"""Reading and checking meter.json into a Config (config.py): once per start.

Every field is checked and a bad one raises ValueError naming it; `settings` holds the
tunable rules (SETTINGS: name -> (default, lowest, highest)).
"""

from . import tid
from .clock import minutes_since_1993

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


def _digits(value, n, name, lo=None):
    value = str(value)
    if not (value.isdigit() and len(value) in ((n,) if lo is None else (lo, n))):
        sizes = n if lo is None else "%d or %d" % (lo, n)
        raise ValueError("%s must be %s digits" % (name, sizes))
    return value


def _int(doc, name, lo, hi, default=None):
    v = doc.get(name, default)
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise ValueError("%s must be an integer %d..%d" % (name, lo, hi))
    return v


def check(cfg, doc):
    """Fill cfg (a Config) from a meter.json document, or raise ValueError."""
    key = doc.get("decoder_key")
    cfg.ea = str(doc.get("ea", "07"))
    if cfg.ea not in ("07", "11"):
        raise ValueError("ea must be 07 or 11")
    cfg.key = None
    if key is not None:
        try:
            cfg.key = bytes.fromhex(key)
        except ValueError:
            raise ValueError("decoder_key must be hex")
        if len(cfg.key) != (8 if cfg.ea == "07" else 16):
            raise ValueError("decoder_key must be %d hex digits for EA%s"
                             % (16 if cfg.ea == "07" else 32, cfg.ea))
    cfg.base_year = doc.get("base_date", 2014)
    if cfg.base_year not in tid.BASE_YEARS:
        raise ValueError("base_date must be 1993, 2014 or 2035")
    cfg.kt = _int(doc, "key_type", 0, 3)
    cfg.krn = _int(doc, "krn", 1, 9)
    cfg.ti = int(_digits(doc.get("ti", ""), 2, "ti"))
    cfg.sgc = int(_digits(doc.get("sgc", ""), 6, "sgc"))
    cfg.ken = _int(doc, "ken", 0, 255, 255)
    cfg.pan = _digits(doc.get("pan", ""), 18, "pan")
    cfg.mfr_code = int(_digits(doc.get("mfr_code", ""), 4, "mfr_code", 2))
    try:
        y, mo, d, h, mi, sec = tid.parse_iso(str(doc.get("provisioned_at", "")))
    except ValueError:
        raise ValueError("provisioned_at must be an ISO-8601 UTC time")
    cfg.epoch_min = minutes_since_1993(y, mo, d, h, mi)  # meter time 0, wall clock
    cfg.epoch_sec = sec
    settings = doc.get("settings", {})
    for name in settings:
        if name not in SETTINGS:
            raise ValueError("unknown setting %s" % name)
    for name, (default, lo, hi) in SETTINGS.items():
        setattr(cfg, name, _int(settings, name, lo, hi, default))
    for base, top in (("lockout_base_s", "lockout_max_s"),
                      ("trip_delay_s", "trip_delay_max_s")):
        if getattr(cfg, base) > getattr(cfg, top):
            raise ValueError("%s must not exceed %s" % (base, top))

