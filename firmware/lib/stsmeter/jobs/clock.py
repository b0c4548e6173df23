"""The meter clock (seconds since provisioning, see config.py) and the wall clock.

Used at start, by short codes and by host tools, not as the meter waits: loaded when
needed. Wall-clock minutes since 1993 stay below 2**30 until the year 3000.
"""

from . import tid


def minutes_since_1993(y, mo, d, h=0, mi=0):
    """Wall-clock minutes since 1993-01-01 00:00 UTC."""
    return (tid.days_from_civil(y, mo, d) - tid.days_from_civil(1993, 1, 1)) * 1440 + h * 60 + mi


def seconds_at(cfg, y, mo, d, h=0, mi=0, sec=0):
    """Meter-clock seconds of a UTC time (negative before provisioning)."""
    return (minutes_since_1993(y, mo, d, h, mi) - cfg.epoch_min) * 60 + sec - cfg.epoch_sec


def seconds(cfg, text):
    """Meter-clock seconds of an ISO-8601 UTC time."""
    return seconds_at(cfg, *tid.parse_iso(text))


def wall(cfg, t):
    """(minutes since 1993, second) of meter-clock time t."""
    total = cfg.epoch_sec + t
    return cfg.epoch_min + total // 60, total % 60


def iso(cfg, t):
    """ISO-8601 UTC text of meter-clock time t."""
    mins, sec = wall(cfg, t)
    days, mins = divmod(mins, 1440)
    y, mo, d = tid.civil_from_days(tid.days_from_civil(1993, 1, 1) + days)
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (y, mo, d, mins // 60, mins % 60, sec)


def tid_at(cfg, t, base_year):
    """The TID a token issued at meter-clock time t carries (0 before the base date)."""
    mins = wall(cfg, t)[0] - minutes_since_1993(base_year, 1, 1)
    return min(max(mins, 0), tid.MAX)
