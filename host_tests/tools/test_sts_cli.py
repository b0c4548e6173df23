"""tools/sts.py as a user runs it: output, exit status, batch, runtimes, keygen."""

import json
import subprocess
import sys

import pytest
from conftest import TOOLS, load_vectors

STS = str(TOOLS / "sts.py")
IEC_KEY = "0ABC12DEF3456789"
IEC_TOKEN = "29054347139309851356"


def sts(*args, stdin=None):
    return subprocess.run([sys.executable, STS, *args], input=stdin, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
def test_decode_prints_fields(runtime):
    p = sts("decode", IEC_TOKEN, "--key", IEC_KEY, "--alg", "sta", "--base-date", "1993",
            "--runtime", runtime)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {
        "class": 0, "subclass": 0, "type": "electricity_credit", "rnd": 11, "tid": 1698595,
        "issued": "1996-03-25T13:55:00Z", "amount": 25.6, "unit": "kWh",
        "block": "0b19eb230100c207"}


@pytest.mark.parametrize("token,error", [
    ("29054347139309851357", "crc"),
    ("2905434713930985135", "format"),
    ("99999999999999999999", "format"),
    ("73786976294838206463", "format"),
])
def test_rejected_token_exits_1(token, error):
    p = sts("decode", token, "--key", IEC_KEY)
    assert p.returncode == 1
    out = json.loads(p.stdout)
    assert out["error"] == error and out["detail"]


@pytest.mark.parametrize("args", [
    ["decode", IEC_TOKEN, "--key", "0ABC"],
    ["decode", IEC_TOKEN, "--key", "0ABC12DEF345678Z"],
    ["decode", IEC_TOKEN, "--key", IEC_KEY, "--alg", "misty1"],
    ["decode", IEC_TOKEN, "--key", IEC_KEY, "--alg", "des"],
    ["decode", IEC_TOKEN, "--base-date", "2000"],
    ["decode"],
    ["frobnicate"],
    ["generate", "--type", "electricity_credit", "--key", IEC_KEY, "--amount", "lots"],
    ["generate", "--type", "electricity_credit", "--key", IEC_KEY, "--amount", "2000000"],
    ["keygen", "--dkga", "02", "--vending-key", "AB", "--kt", "2", "--sgc", "123456",
     "--ti", "01", "--krn", "1", "--pan", "600727000000000009"],
])
def test_misuse_exits_2_with_one_line(args):
    p = sts(*args)
    assert p.returncode == 2
    assert p.stdout == "" and len(p.stderr.strip().splitlines()) == 1


def test_ctsa17_bad_pan_check_digit_refused():
    p = sts("keygen", "--dkga", "02", "--vending-key", "ABABABABABABABAB", "--kt", "2",
            "--sgc", "123456", "--ti", "01", "--krn", "1", "--pan", "600727000000000008")
    assert p.returncode == 2 and "check digit" in p.stderr


@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
def test_batch_answers_each_line(tmp_path, runtime):
    lines = [{"token": IEC_TOKEN, "key": IEC_KEY, "alg": "sta", "base_date": 1993},
             {"token": "59386323472137426967", "key": "F94B6ED353C3BFDB113E2D3A7EA3C41D",
              "alg": "misty1", "base_date": 1993},
             {"token": "123", "key": IEC_KEY, "alg": "sta"},
             {"token": IEC_TOKEN, "key": "zz", "alg": "sta"}]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines) + "not json\n")
    p = sts("decode", "--batch", str(path), "--runtime", runtime)
    out = [json.loads(line) for line in p.stdout.splitlines()]
    assert p.returncode == 1  # some lines were rejected
    assert [o.get("type") or o["error"] for o in out] == [
        "electricity_credit", "electricity_credit", "format", "request", "request"]
    assert out[1]["amount"] == 0.1 and out[1]["tid"] == 0x59982C  # spec 11.2 example
    same = sts("decode", "--batch", "-", stdin=path.read_text())
    assert same.stdout == p.stdout


def test_generate_every_type_then_decode():
    key = "E653341F9D5BF36F"
    cases = {
        "electricity_credit": ["--amount", "12.5"], "water_credit": ["--amount", "3"],
        "gas_credit": ["--amount", "0.1"], "time_credit": ["--amount", "60"],
        "electricity_currency": ["--amount", "12.34"], "water_currency": ["--amount", "1"],
        "gas_currency": ["--amount", "2"], "time_currency": ["--amount", "3"],
        "max_power_limit": ["--limit-w", "5000"], "clear_credit": ["--register", "water"],
        "tariff_rate": ["--rate", "77"], "clear_tamper": [],
        "max_phase_power_unbalance_limit": ["--limit-w", "300"],
        "water_meter_factor": ["--factor", "12"],
        "key_change_1": ["--new-key", "1122334455667788", "--krn", "2", "--kt", "2",
                         "--ti", "3"],
        "key_change_2": ["--new-key", "1122334455667788", "--krn", "2", "--kt", "2",
                         "--ti", "3"],
    }
    for typ, extra in cases.items():
        g = sts("generate", "--type", typ, "--key", key, "--issued", "2024-06-01T12:00",
                "--rnd", "3", *extra)
        assert g.returncode == 0, (typ, g.stderr)
        d = sts("decode", g.stdout.strip(), "--key", key)
        out = json.loads(d.stdout)
        assert out["type"] == typ, out
        if "tid" in out:
            assert out["issued"] == "2024-06-01T12:00:00Z"
    assert json.loads(sts("decode", sts("generate", "--type", "clear_credit", "--key", key,
                                        "--register", "water").stdout.strip(),
                              "--key", key).stdout)["register"] == 1


def test_generate_key_change_set_and_class1():
    g = sts("generate", "--type", "key_change", "--alg", "misty1",
            "--key", "F94B6ED353C3BFDB113E2D3A7EA3C41D",
            "--new-key", "B208834372EF892EF6E04C28593090D4", "--krn", "1", "--kt", "2",
            "--ti", "2", "--sgc", "123457")
    tokens = g.stdout.split()
    assert len(tokens) == 4
    # _0_04 CTSA05: 3rd and 4th sections of exactly this set
    assert tokens[2] == "71464563847088610152" and tokens[3] == "67904239402617643990"
    t = sts("generate", "--type", "test_display_1", "--control", "1", "--mfr-code", "0")
    assert t.stdout.strip() == "00000000000150997584"


def _keygen_args(key, ea):
    args = ["keygen", "--dkga", key["dkga"], "--vending-key", key["vending_key_hex"],
            "--kt", str(key["key_type"]), "--sgc", key["supply_group_code"],
            "--ti", key["tariff_index"], "--krn", str(key["key_revision_number"])]
    if key["dkga"] == "04":
        alg = "sta" if ea == "EA07" else "misty1"
        args += ["--base-date", str(key["base_date"]), "--alg", alg]
    if "meter_pan" in key:
        args += ["--iin", key["iin"], "--iain", key["iain"]]
    return args


def test_keygen_reproduces_every_vector_key():
    seen = {}
    for v in load_vectors():
        for name in ("key", "new_key"):
            key = v.get(name)
            if key and key.get("dkga") in ("02", "04"):
                args = _keygen_args(key, v["encryption_algorithm"])
                seen[tuple(args)] = key["decoder_key_hex"].upper()
    assert len(seen) >= 20
    for args, want in seen.items():
        p = sts(*args)
        assert p.stdout.strip() == want, (args, p.stderr)


def test_keygen_pan_forms_agree():
    base = ["keygen", "--dkga", "02", "--vending-key", "ABABABABABABABAB", "--kt", "2",
            "--sgc", "123456", "--ti", "01", "--krn", "1"]
    a = sts(*base, "--pan", "600727000000000009").stdout
    b = sts(*base, "--iin", "600727", "--iain", "00000000000").stdout
    assert a == b == "E653341F9D5BF36F\n"
