"""meter.json as an attacker or a careless installer writes it (issue 9): every field with
any JSON value is taken or refused with ValueError("<field> must ...") naming it, never
anything else (CPython, hypothesis); ISO times are real times; and the firmware that cannot
start says why in one line and on its display, whatever went wrong (both runtimes)."""

import datetime
import json
import re
import subprocess
import sys

import pytest
from conftest import FIRMWARE_LIB, TOOLS, micropython_exe
from hypothesis import given, settings
from hypothesis import strategies as st
from meterkit import meter_doc
from stsmeter.jobs import meterjson, tid
from stsmeter.app import FIELDS

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=4),
    max_leaves=10)


class Cfg:
    pass


def check(doc):
    """None when meterjson takes the document, else the ValueError's message (any other
    exception fails the test)."""
    try:
        meterjson.check(Cfg(), doc)
    except ValueError as e:
        message = str(e)
        assert re.match(r"^\S+ must ", message), message
        return message
    return None


@settings(max_examples=400, deadline=None)
@given(field=st.sampled_from(FIELDS), value=JSON)
def test_any_value_of_a_field_is_taken_or_refused_naming_it(field, value):
    message = check(meter_doc(**{field: value}))
    assert message is None or field in message


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(sorted(meterjson.SETTINGS)), value=JSON)
def test_any_value_of_a_setting_is_taken_or_refused_naming_it(name, value):
    message = check(meter_doc(settings={name: value}))
    assert message is None or name in message
    lo, hi = meterjson.SETTINGS[name][1:]
    ok = isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi
    assert (message is None) == ok or "must not exceed" in message


@settings(max_examples=200, deadline=None)
@given(settings_=st.dictionaries(st.text(max_size=20), JSON, max_size=4))
def test_any_settings_object_is_taken_or_refused(settings_):
    message = check(meter_doc(settings=settings_))
    assert message is None or message.split()[0] in set(meterjson.SETTINGS) | {"settings"}


@settings(max_examples=200, deadline=None)
@given(doc=JSON)
def test_any_document_is_taken_or_refused(doc):
    check(doc)


@settings(max_examples=500, deadline=None)
@given(y=st.integers(0, 9999), mo=st.integers(0, 13), d=st.integers(0, 32),
       h=st.integers(0, 25), mi=st.integers(0, 61), s=st.integers(0, 61),
       sep=st.sampled_from("T "), seconds=st.booleans(), z=st.booleans())
def test_parse_iso_takes_exactly_the_real_times(y, mo, d, h, mi, s, sep, seconds, z):
    text = "%04d-%02d-%02d%s%02d:%02d" % (y, mo, d, sep, h, mi)
    if seconds:
        text += ":%02d" % s
    else:
        s = 0
    text += "Z" if z else ""
    try:  # (year 0 is a leap year of the proleptic Gregorian calendar, as 2000 is)
        datetime.datetime(y or 2000, mo, d, h, mi, s)
        real = True
    except ValueError:
        real = False
    if real:
        assert tid.parse_iso(text) == (y, mo, d, h, mi, s)
    else:
        with pytest.raises(ValueError):
            tid.parse_iso(text)


def _near_iso():
    """Text shaped like an ISO time, with anything in its fields and separators."""
    chars = "0123456789" * 3 + " +-x\u00b2\u0661"

    def field(n):
        return st.text(alphabet=chars, min_size=n, max_size=n)

    def sep(good):
        return st.sampled_from([good] * 4 + ["x", " ", ""])

    return st.tuples(field(4), sep("-"), field(2), sep("-"), field(2), sep("T"), field(2),
                     sep(":"), field(2), st.sampled_from(["", ""]) | st.tuples(
                         sep(":"), field(2)).map("".join),
                     st.sampled_from(["", "Z", "ZZ", "z"])).map("".join)


@settings(max_examples=1000, deadline=None)
@given(text=_near_iso() | st.text(max_size=22))
def test_parse_iso_refuses_anything_else_with_valueerror(text):
    try:
        got = tid.parse_iso(text)
    except ValueError:
        return
    y, mo, d, h, mi, s = got
    assert datetime.datetime(y or 2000, mo, d, h, mi, s)  # only real times come out
    body = text[:-1] if text.endswith("Z") else text  # written exactly so: no sign, space
    again = "%04d-%02d-%02d%s%02d:%02d" % (y, mo, d, body[10], h, mi)
    assert body == again + (":%02d" % s if len(body) == 19 else "")


# --- the firmware that cannot start ----------------------------------------------------------

PROBE = """
import sys
from stsmeter import app


class Display:
    def show(self, lines):
        print("DISPLAY|%s|%s" % tuple(lines))


class Board:
    def device_id(self):
        if sys.argv[1] == "no-id":
            raise RuntimeError("no unique\\nid")
        return b"probe-device-id!"

    def devices(self):
        from stsmeter.hardware import Devices

        return Devices(None, Display(), None)


app.run(Board())
print("RETURNED")
"""


@pytest.fixture(params=["micropython", "cpython"])
def runtime(request):
    return request.param


ABSENT = object()  # no meter.json at all


def start(tmp_path, runtime, doc, how="normal"):
    """app.run on a board with a display that prints, in a folder holding meter.json (a
    JSON value, bytes as they are, or ABSENT)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    if doc is not ABSENT:
        raw = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
        (tmp_path / "meter.json").write_bytes(raw)
    if runtime == "cpython":
        env = {"PYTHONPATH": "%s:%s" % (TOOLS / "shim", FIRMWARE_LIB)}
        cmd = [sys.executable, "-c", "import mpshim, runpy, sys; mpshim.install(); "
               "sys.argv[1:] = [%r]; runpy.run_path(%r, run_name='__main__')"
               % (how, str(script))]
    else:
        cmd = [micropython_exe(), str(script), how]
        env = {"MICROPYPATH": "%s:.frozen" % FIRMWARE_LIB}  # asyncio is frozen
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=60)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 3 and lines[2] == "RETURNED", lines  # one line, the display, back
    assert lines[0].startswith("stsmeter: cannot start: ")
    shown = lines[1].split("|")
    assert shown[:2] == ["DISPLAY", "Not provisioned"] and len(shown[2]) <= 16
    return lines[0][len("stsmeter: cannot start: "):], shown[2]


@pytest.mark.parametrize("doc,field", [
    ([], "meter.json"), (None, "meter.json"), (meter_doc(settings=[]), "settings"),
    (meter_doc(settings=5), "settings"), (meter_doc(decoder_key=123), "decoder_key"),
    (meter_doc(base_date=2014.0), "base_date"),
    (meter_doc(provisioned_at="2026-13-45T99:99"), "provisioned_at"),
    (meter_doc(settings={"lockout_base_s": 20, "lockout_max_s": 10}), "lockout_base_s"),
    (meter_doc(decoder_key=None), "decoder_key")])  # nothing to provision from
def test_a_meter_that_cannot_start_names_the_field(tmp_path, runtime, doc, field):
    why, shown = start(tmp_path, runtime, doc)
    assert field in why and shown == field[:16]


def test_a_meter_that_cannot_start_says_why_whatever_it_is(tmp_path, runtime):
    why, shown = start(tmp_path / "absent", runtime, ABSENT)
    assert shown == why[:16] and why
    why, shown = start(tmp_path / "id", runtime, meter_doc(), "no-id")
    assert why == "RuntimeError: no unique id" and shown == why[:16]
    for i, raw in enumerate((b"\xff{", b"{", b"")):
        why, shown = start(tmp_path / str(i), runtime, raw)
        assert shown == why[:16] and why


def test_production_is_true_or_false():
    for value in (True, False):
        cfg = Cfg()
        meterjson.check(cfg, meter_doc(production=value))
        assert cfg.production is value
    cfg = Cfg()
    meterjson.check(cfg, meter_doc())
    assert cfg.production is False  # development unless meter.json says so
    for value in ("true", 1, 0, None, [], {}):
        assert check(meter_doc(production=value)) == "production must be true or false"
