"""Token identifier (TID): whole minutes since the base date, 24 bits (spec section 7).

Base dates are 1993-01-01, 2014-01-01 and 2035-01-01 at 00:00. Dates are computed with
integer day counts (no `time` module: board epochs differ), all values below 2**30.
Issue times are wall-clock times read as UTC (spec 7 [U]; the IEC excerpt says UTC).
"""

from micropython import const

MAX = const(0xFFFFFF)


def days_from_civil(y, m, d):
    """Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm)."""
    if m <= 2:
        y -= 1
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z):
    """(year, month, day) for a day count since 1970-01-01."""
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (1 if m <= 2 else 0), m, d


def from_datetime(base_year, y, mo, d, h=0, mi=0):
    """TID for a wall-clock time; may be negative or above MAX (caller checks)."""
    days = days_from_civil(y, mo, d) - days_from_civil(base_year, 1, 1)
    return days * 1440 + h * 60 + mi


def to_datetime(base_year, tid):
    """(year, month, day, hour, minute) of a TID."""
    days, mins = divmod(tid, 1440)
    y, mo, d = civil_from_days(days_from_civil(base_year, 1, 1) + days)
    return y, mo, d, mins // 60, mins % 60


def iso(base_year, tid):
    """ISO-8601 UTC text of a TID, e.g. '1996-03-25T13:55:00Z'."""
    return "%04d-%02d-%02dT%02d:%02d:00Z" % to_datetime(base_year, tid)


def parse_iso(text):
    """(y, mo, d, h, mi, s) from 'YYYY-MM-DDTHH:MM[:SS][Z]' (UTC; a space may stand for the
    T); raises ValueError unless it is written so (ASCII digits, no sign or space) and is a
    real time: month 1-12, a day that month has (February 29 in leap years only), hour
    0-23, minute and second 0-59."""
    if not isinstance(text, str):
        raise ValueError("not an ISO-8601 time: %r" % (text,))
    if text.endswith("Z"):
        text = text[:-1]
    n = len(text)
    if n not in (16, 19) or text[10] not in ("T", " "):
        raise ValueError("not an ISO-8601 time: %s" % text)
    for i in range(n):
        if i in (4, 7, 10, 13, 16):
            if i != 10 and text[i] != ("-" if i < 10 else ":"):
                raise ValueError("not an ISO-8601 time: %s" % text)
        elif not "0" <= text[i] <= "9":
            raise ValueError("not an ISO-8601 time: %s" % text)
    y, mo, d = int(text[0:4]), int(text[5:7]), int(text[8:10])
    h, mi, s = int(text[11:13]), int(text[14:16]), int(text[17:19]) if n == 19 else 0
    days = 30 if mo in (4, 6, 9, 11) else 31
    if mo == 2:  # Gregorian leap years
        days = 29 if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) else 28
    if not (1 <= mo <= 12 and 1 <= d <= days and h < 24 and mi < 60 and s < 60):
        raise ValueError("no such time: %s" % text)
    return y, mo, d, h, mi, s
