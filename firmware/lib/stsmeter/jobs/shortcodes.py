"""Short codes: 1-3 digits then '#' show what the meter knows (table in README).

Each answer goes to the display (two lines) and into a `short_code` result event with the
values as fields. They work during a lockout and count for nothing.
"""

from .. import RESULTS, TAMPERS, __version__, eventlog, screen
from .results import key_data, report, show
from ..sts.token import UNITS

CREDIT = 0
LOAD = 1
LAST_TOKEN = 2
METER_NUMBER = 3
KEY_DATA = 4
POWER_LIMIT = 5
LOCKOUT = 6
TAMPER = 7
VERSION = 8
EMERGENCY = 9
EVENT_LOG = 10
WATER = 11
GAS = 12
TARIFF = 13
TAKE_EMERGENCY = 99


def _drn(pan):
    """The meter number printed on the meter: the PAN without IIN and check digit."""
    return pan[6:17] if pan.startswith("600727") else pan[4:17]


_TAMPER_WORDS = ("", "memory", "cover")  # meter.TAMPERS in words: state forged, the input


def _word(result):
    """A token result in a customer's words."""
    if result == 0:
        return "Accepted"
    if result == 1:
        return "Key change part"
    from .results import RESULT_WORDS

    return RESULT_WORDS[RESULTS[result]]


def _event_words(kind, code):
    """The event log's entry in words, for the top line of 10#."""
    if kind == eventlog.TOKEN:
        return "Token " + _word(code)
    if kind == eventlog.RELAY:
        return "Supply on" if code else "Supply off"
    if kind == eventlog.TAMPER:
        return "Tamper: " + _TAMPER_WORDS[code] if code else "Tamper cleared"
    if kind == eventlog.POWER_ON:
        return "Power on"
    if kind == eventlog.EMERGENCY:
        return "Emergency credit"
    if kind == eventlog.KEY_CHANGED:
        return "Key changed"
    return "Event %d" % kind


def _answer(m, code):
    """(line 1, line 2, fields) for a short code."""
    c = m.credit
    if code == CREDIT:
        return "Credit", "%s kWh" % screen.kwh(c.wh), {"credit_kwh": c.wh / 1000}
    if code == LOAD:
        w = m.load_w if m.relay_closed else 0
        return "Load", "%d W" % w, {"load_w": w}
    if code == LAST_TOKEN:
        if m.last_result < 0:
            return "Last token", "No token yet", {}
        name = RESULTS[m.last_result]
        bottom = _word(m.last_result)
        fields = {"last_result": name}
        if m.last_result == 0 and m.last_amount:
            bottom = "OK %s %s" % (screen.tenths(m.last_amount), UNITS[m.last_unit])
            fields.update(amount=m.last_amount / 10, unit=UNITS[m.last_unit])
        return "Last token", bottom, fields
    if code == METER_NUMBER:
        drn = _drn(m.cfg.pan)  # grouped as printed on a meter: 0000 0000 000
        return "Meter number", " ".join(drn[i : i + 4] for i in range(0, len(drn), 4)), {
            "pan": m.cfg.pan}
    if code == KEY_DATA:
        top, bottom = key_data(m)
        return top, bottom, {"krn": m.krn, "kt": m.kt, "ti": "%02d" % m.ti,
                             "sgc": "%06d" % m.sgc, "ea": m.ea,
                             "base_date": m.base_year, "ken": m.ken}
    if code == POWER_LIMIT:
        s = m.supply
        return ("MPL %s" % ("%d W" % s.mpl_w if s.mpl_w else "none"),
                "MPPUL %s" % ("%d W" % s.mppul_w if s.mppul_w else "none"),
                {"mpl_w": s.mpl_w, "mppul_w": s.mppul_w})
    if code == LOCKOUT:
        left = m.lockout.remaining(m.now)
        return "Lockout", "%d s" % left if left else "none", {"lockout_s": left}
    if code == TAMPER:
        if not m.tamper:
            return "No tamper", "", {"tamper": False}
        return "Tamper: " + _TAMPER_WORDS[m.tamper], "Call supplier", {
            "tamper": True, "reason": TAMPERS[m.tamper]}
    if code == VERSION:
        return "Firmware", "stsmeter " + __version__, {"version": __version__}
    if code == EMERGENCY:
        if c.owed_wh:
            state = "owed %s kWh" % screen.kwh(c.owed_wh)
        elif c.low() and c.emergency_wh:
            state = "99# for %s kWh" % screen.kwh(c.emergency_wh)
        else:
            state = "not available"
        return "Emergency credit", state, {"owed_kwh": c.owed_wh / 1000,
                                           "available": bool(c.low() and c.emergency_wh
                                                             and not c.owed_wh)}
    if code == TAKE_EMERGENCY:
        if c.take_emergency():
            m.log.add(m.now, eventlog.EMERGENCY, 0, c.emergency_wh)
            m.save()
            return ("Emergency credit", "+%s kWh" % screen.kwh(c.emergency_wh),
                    {"given_kwh": c.emergency_wh / 1000})
        return "Emergency credit", "not available", {"given_kwh": 0}
    if code == EVENT_LOG:
        events = m.log.entries()
        if not events:
            return "No events", "", {"events": 0}
        from . import clock

        t, kind, ev_code, value = events[-1]
        when = clock.iso(m.cfg, t)[5:16].replace("T", " ")  # MM-DD HH:MM
        return _event_words(kind, ev_code)[:16], "%s %4s" % (when, "(%d)" % len(events)), {
            "events": len(events), "last": eventlog.KINDS[kind]}
    if code == WATER:
        return "Water", "%s m3" % screen.tenths(c.water), {"water_m3": c.water / 10}
    if code == GAS:
        return "Gas", "%s m3" % screen.tenths(c.gas), {"gas_m3": c.gas / 10}
    if code == TARIFF:
        s = m.supply
        return "Rate %d" % s.tariff_rate, "WMF %d" % s.water_factor, {
            "tariff_rate": s.tariff_rate, "water_meter_factor": s.water_factor}
    return "Code %d" % code, "unknown", {"known": False}


def run(m, code):
    top, bottom, fields = _answer(m, code)
    show(m, top, bottom)
    report(m, "short_code", "", code=code, show=[top, bottom], **fields)
