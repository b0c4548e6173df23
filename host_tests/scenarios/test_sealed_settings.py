"""Settings sealed at provisioning (issue 9, item 5): meter.json edited after provisioning
changes nothing that bears on billing or security, and says so; the sealed file deleted
or edited is tamper. Through the scripted runner, in both runtimes."""

import json
import os

import pytest
from meterkit import Bench, credit, meter_doc, of

pytestmark = pytest.mark.parametrize("runtime", ["micropython", "cpython"])


def provisioned(tmp_path, runtime, **settings):
    b = Bench(tmp_path, runtime, settings=settings) if settings else Bench(tmp_path, runtime)
    b.run("status")  # first start: provisions, seals the key and the settings
    return b


def edit(b, **settings):
    """meter.json as a person edits it after provisioning (the key is long sealed)."""
    doc = meter_doc(settings=settings)
    del doc["decoder_key"]
    b.write_doc(doc)


def warnings(events):
    return [e for e in of(events, "warning") if e["warning"] == "settings_ignored"]


def test_raised_emergency_credit_is_ignored_and_reported(tmp_path, runtime):
    b = provisioned(tmp_path, runtime)
    edit(b, emergency_credit_wh=1000000)
    events = b.run("keys 99#", "status")
    assert warnings(events) == [{"event": "warning", "warning": "settings_ignored",
                                 "fields": ["emergency_credit_wh"]}]
    given = [e for e in of(events, "result") if e.get("code") == 99][0]
    assert given["given_kwh"] == 5.0  # the provisioned 5 kWh, not 1000 kWh
    assert of(events, "status")[0]["credit_kwh"] == 5.0


def test_weakened_lockout_settings_are_ignored(tmp_path, runtime):
    b = provisioned(tmp_path, runtime)
    edit(b, lockout_free=20, lockout_base_s=1, lockout_max_s=1)
    bad = credit(1)[:19] + str((int(credit(1)[19]) + 1) % 10)
    events = b.run(*["token " + bad] * 3, "token " + credit(1))
    assert warnings(events)[0]["fields"] == ["lockout_base_s", "lockout_free",
                                             "lockout_max_s"]
    assert [e["result"] for e in of(events, "result")] == ["crc", "crc", "crc", "locked"]


def test_the_same_settings_are_no_warning(tmp_path, runtime):
    b = provisioned(tmp_path, runtime, low_credit_wh=3000)
    edit(b, low_credit_wh=3000)
    assert warnings(b.run("status")) == []
    assert not b.status()["tamper"]


def test_provisioned_settings_hold_across_restarts(tmp_path, runtime):
    b = provisioned(tmp_path, runtime, emergency_credit_wh=2000)
    edit(b)  # the defaults (5 kWh) in meter.json now
    assert b.results("keys 99#") == ["short_code"]
    events = b.run("keys 9#")
    assert [e for e in of(events, "result")][0]["owed_kwh"] == 2.0


def test_sealed_settings_deleted_is_tamper(tmp_path, runtime):
    b = provisioned(tmp_path, runtime)
    os.remove(os.path.join(b.dir, "settings"))
    events = b.run("status")
    assert of(events, "tamper")[0]["active"] and of(events, "status")[0]["tamper"]
    # ... once, not at every start after (meter.json's values sealed from then on)
    b.run("token " + b_clear_tamper())
    assert not b.status()["tamper"]
    assert not of(b.run("status"), "tamper")


def test_sealed_settings_edited_are_tamper(tmp_path, runtime):
    b = provisioned(tmp_path, runtime)
    path = os.path.join(b.dir, "settings")
    with open(path, "rb") as f:
        raw = f.read()
    body = json.loads(raw[:-16])
    body["emergency_credit_wh"] = 1000000
    with open(path, "wb") as f:
        f.write(json.dumps(body).encode() + raw[-16:])
    events = b.run("keys 99#", "status")
    assert of(events, "status")[0]["tamper"]
    given = [e for e in of(events, "result") if e.get("code") == 99][0]
    assert given["given_kwh"] == 5.0  # meter.json's value, not the edited file's


def b_clear_tamper():
    from meterkit import make

    return make("clear_tamper", minutes=300)
