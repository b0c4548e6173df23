"""The meter's status and event log as dicts for a host: host only (the scripted runner).

Used by the simulator and the scripted runner (tools/meter_script.py); the meter's own
behaviour does not depend on it.
"""

from stsmeter import eventlog
from stsmeter import REASONS, RESULTS, TAMPERS
from stsmeter.jobs import clock


def status(m):
    """The status event of the scripted runner (see tools/sim.py)."""
    c = m.credit
    return {
        "event": "status", "time": clock.iso(m.cfg, m.now), "credit_kwh": c.wh / 1000,
        "relay": m.relay_closed, "lockout_s": m.lockout.remaining(m.now),
        "tamper": bool(m.tamper), "tamper_reason": TAMPERS[m.tamper],
        "krn": m.krn, "kt": m.kt, "ti": "%02d" % m.ti, "ea": m.ea,  # as in meter.json
        "base_date": m.base_year, "ken": m.ken, "sgc": "%06d" % m.sgc,
        "tids": m.tids.tids(), "water_m3": c.water / 10, "gas_m3": c.gas / 10,
        "load_w": m.load_w, "mpl_w": m.supply.mpl_w, "mppul_w": m.supply.mppul_w,
        "tripped": m.supply.tripped(m.now), "trips": m.supply.trips,
        "low_credit": c.low(), "emergency_owed_kwh": c.owed_wh / 1000,
        "energy_kwh": c.used_wh / 1000,
        "bad_entries": m.lockout.bad, "key_change_pending": m.kct.received(),
        "tariff_rate": m.supply.tariff_rate, "water_meter_factor": m.supply.water_factor,
    }


def events(m):
    """The event log as dicts, oldest first (for the host)."""
    out = []
    for t, kind, code, value in m.log.entries():
        e = {"time": clock.iso(m.cfg, t), "kind": eventlog.KINDS[kind]}
        if kind == eventlog.TOKEN:
            e["result"] = RESULTS[code]
            if value:
                e["amount"] = value / 10
        elif kind == eventlog.RELAY:
            e.update(closed=bool(code), reason=REASONS[value])
        elif kind == eventlog.TAMPER:
            e["reason"] = TAMPERS[code]
        elif kind == eventlog.KEY_CHANGED:
            e.update(krn=code, rollover=bool(value))
        elif kind == eventlog.EMERGENCY:
            e["kwh"] = value / 1000
        elif kind == eventlog.POWER_ON:
            e["count"] = value  # lifetime power-ups
        out.append(e)
    return out
