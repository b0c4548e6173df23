"""A finished entry reported: its result code, the event, the log entry, the save and the
screen (class 1 test/display screens too). Loaded with the code for a token or a short
code, and released after it.
"""


from .. import __version__, eventlog, screen
from .. import RESULTS

RESULT_WORDS = {
    "used": "Used", "old": "Old", "crc": "Reject", "format": "Reject",
    "key_expired": "Key expired", "ddtk": "DDTK error", "key_type": "Key type error",
    "function": "Function error", "range": "Range error", "overflow": "Overflow",
    "mfr_code": "MfrCode error", "locked": "Locked",
}
SECOND_LINES = {"crc": "CRC error", "format": "Format error", "used": "Entered before",
                "old": "Too old"}


def show(m, line1, line2=""):
    """Show a message until `message_s` has passed."""
    m.message = (line1, line2)
    m.message_until = m.now + m.cfg.message_s


def report(m, name, detail="", save=False, **fields):
    """Report a finished entry (name: one of stsmeter.RESULTS): log and last result (as the
    name's index), then the save when the entry changed the state (so the log entry is in
    the same record), then the event and the screen."""
    which = RESULTS.index(name)
    if name != "short_code":  # short codes are not token results
        m.last_result = which
        m.log.add(m.now, eventlog.TOKEN, which, m.last_amount if which == 0 else 0)
    if save and not m.save():  # the flash refused it (a full filesystem): refused, and the
        m.go_back()  # meter goes back to its last saved state, so that none of it counts
        name, detail, fields = "not_saved", "", {}
    event = {"event": "result", "result": name}
    if detail:
        event["detail"] = detail
    event.update(fields)
    m.emit(event)
    _message(m, name, detail, fields)


def _message(m, name, detail, fields):
    """The screen for a finished entry (short codes set their own)."""
    if name == "short_code":
        return
    if name == "not_saved":
        return show(m, "Memory full", "Not taken")
    if name == "accept":
        top = "Accept"
        if "amount" in fields:
            top = "Accept %s %s" % (screen.tenths(m.last_amount), fields["unit"])
            bottom = "Credit %s kWh" % screen.kwh(m.credit.wh)
            if "repaid_kwh" in fields:  # (the idle screen shows the credit next)
                bottom = "Repaid %s kWh" % screen.kwh(int(fields["repaid_kwh"] * 1000 + .5))
        elif "limit_w" in fields:
            bottom = "Limit %d W" % fields["limit_w"]
        else:
            bottom = detail
    elif name == "kct_partial":
        top = "Key change %s" % "+".join(str(s) for s in fields["sections"])
        bottom = "Enter next token"
    elif name == "locked":
        top = "Locked %d s" % fields["lockout_s"]
        bottom = "Try again later"
    else:
        top = RESULT_WORDS[name]
        bottom = SECOND_LINES.get(name, "")
        if fields.get("lockout_s"):
            bottom = "Locked %d s" % fields["lockout_s"]
    show(m, top[:screen.WIDTH], bottom[:screen.WIDTH])


def key_data(m):
    return "KRN%d KT%d TI%02d" % (m.krn, m.kt, m.ti), "S%06d EA%s B%02d" % (
        m.sgc, m.ea, m.base_year % 100)


def test_lines(m, ran):
    """Class 1 test/display screens, in order of preference."""
    if "display" in ran:
        return "#" * screen.WIDTH, "#" * screen.WIDTH
    if "registers" in ran:
        c = m.credit
        return "E %s kWh" % screen.kwh(c.wh), "W %s G %s m3" % (screen.tenths(c.water),
                                                         screen.tenths(c.gas))
    if "key_data" in ran:
        return key_data(m)
    if "version" in ran:
        return "stsmeter", __version__
    return None
