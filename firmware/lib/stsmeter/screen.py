"""What the 16x2 display shows: the entry and the idle screen (results: results.py, short
codes and class 1 display tokens: shortcodes.py).

Text only (any display driver draws it). Numbers are formatted from integers: a board's
floats are single precision and would print 25.6 kWh as 25.59999.
"""

from micropython import const

WIDTH = const(16)


def tenths(n):
    """0.1 units as text: 256 -> '25.6'."""
    return "%s%d.%d" % ("-" if n < 0 else "", abs(n) // 10, abs(n) % 10)


def kwh(wh):
    """Wh as kWh with one decimal, rounded down (never shows more than is there)."""
    return tenths(wh // 100)


def _idle(m):
    c = m.credit
    top = "Credit %s kWh" % kwh(c.wh)
    if len(top) > WIDTH:
        top = "Cr %s kWh" % kwh(c.wh)
    now = m.now
    if m.tamper:
        bottom = "TAMPER"
    elif m.lockout.remaining(now):
        bottom = "Locked %d s" % m.lockout.remaining(now)
    elif m.supply.tripped(now):
        bottom = "Overload %d s" % (m.supply.reconnect_at - now)
    elif not c.wh:
        bottom = "No credit"
    elif c.low():
        bottom = "Low credit"
    else:
        bottom = "Load %d W" % (m.load_w if m.relay_closed else 0)
    return top, bottom


def _entry(text):
    """Digits grouped 4-4-4-4-4: three groups on line 1, two and the count on line 2."""
    g = [text[i : i + 4] for i in range(0, 20, 4)]
    return " ".join(g[:3]).rstrip(), "%-11s%5s" % (" ".join(g[3:]).rstrip(), "(%d)" % len(text))


def lines(m):
    if m.entry.count:
        return _entry(m.entry.text())
    if m.message:
        return m.message
    return _idle(m)
