"""Every host tool, given bad input, answers with one line on stderr naming what is wrong
and exits 2 (misuse) - never a traceback. Each case: (tool, arguments, stdin, a word the
line must hold). {tmp} in an argument is a fresh temp folder, {meter} a good meter.json in
it, {file} a plain file there."""

import json
import subprocess
import sys

import pytest
from conftest import TOOLS

KEY = "0ABC12DEF3456789"
KEY128 = "F94B6ED353C3BFDB113E2D3A7EA3C41D"
TOKEN = "29054347139309851356"
PAN = "600727000000000009"
VK40 = "000102030405060708090A0B0C0D0E0F10111213"
GEN = ["generate", "--key", KEY, "--amount", "1"]
PROV = ["-o", "-", "--pan", PAN]

CASES = [
    # sts.py decode
    ("sts.py", ["decode", "--batch", "/nonexistent"], None, "cannot read the batch file"),
    ("sts.py", ["decode", TOKEN], None, "--key is required"),
    ("sts.py", ["decode", TOKEN, "--key", KEY128], None, "--alg misty1"),
    ("sts.py", ["decode", TOKEN, "--key", KEY, "--alg", "misty1"], None, "--alg sta"),
    ("sts.py", ["decode", TOKEN, "--key", "0ABC12DEF345678Z"], None, "hex"),
    ("sts.py", ["decode", TOKEN, "--key", "0ABC"], None, "16 hex digits"),
    ("sts.py", ["decode", TOKEN, "--key", KEY, "--base-date", "2000"], None, "base-date"),
    ("sts.py", ["decode", TOKEN, "--batch", "-"], "", "both given"),
    ("sts.py", ["decode"], None, "TOKEN"),
    ("sts.py", ["frobnicate"], None, "frobnicate"),
    ("sts.py", [], None, "required"),
    # sts.py generate
    ("sts.py", ["generate", "--key", KEY], None, "--amount is required"),
    ("sts.py", ["generate", "--amount", "1"], None, "--key is required"),
    ("sts.py", ["generate", "--key", KEY128, "--amount", "1"], None, "MISTY1 (EA11)"),
    ("sts.py", GEN[:4] + ["lots"], None, "amount"),
    ("sts.py", GEN[:4] + ["2000000"], None, "amount"),
    ("sts.py", GEN[:4] + ["-1"], None, "amount"),
    ("sts.py", GEN + ["--issued", "2026-13-01T00:00"], None, "not a real date"),
    ("sts.py", GEN + ["--issued", "2026-02-30"], None, "not a real date"),
    ("sts.py", GEN + ["--issued", "2026-01-01T25:61"], None, "not a real date"),
    ("sts.py", GEN + ["--issued", "2026-1-1"], None, "YYYY-MM-DD"),
    ("sts.py", GEN + ["--issued", "yesterday"], None, "YYYY-MM-DD"),
    ("sts.py", GEN + ["--issued", "2013-12-31T23:59"], None, "2014-01-01T00:00:00Z .."),
    ("sts.py", GEN + ["--issued", "2060-01-01"], None, "base date 2014"),
    ("sts.py", GEN + ["--tid", "16777216"], None, "tid"),
    ("sts.py", GEN + ["--tid", "5", "--issued", "2026-01-01"], None, "both given"),
    ("sts.py", GEN + ["--rnd", "16"], None, "rnd"),
    ("sts.py", ["generate", "--type", "key_change", "--key", KEY, "--krn", "2", "--kt", "2",
                "--ti", "1"], None, "--new-key is required"),
    ("sts.py", ["generate", "--type", "key_change", "--key", KEY, "--new-key", KEY128,
                "--krn", "2", "--kt", "2", "--ti", "1"], None, "--new-key"),
    ("sts.py", ["generate", "--type", "max_power_limit", "--key", KEY], None, "--limit-w"),
    ("sts.py", ["generate", "--type", "nonsense"], None, "nonsense"),
    # sts.py keygen
    ("sts.py", ["keygen", "--dkga", "02", "--vending-key", "AB", "--kt", "2", "--sgc",
                "123456", "--ti", "01", "--krn", "1", "--pan", PAN], None, "16 hex digits"),
    ("sts.py", ["keygen", "--dkga", "04", "--vending-key", VK40, "--kt", "2", "--sgc",
                "123456", "--ti", "01", "--krn", "1"], None, "--pan"),
    ("sts.py", ["keygen", "--dkga", "04", "--vending-key", VK40, "--kt", "2", "--sgc",
                "12345", "--ti", "01", "--krn", "1", "--pan", PAN], None, "SGC"),
    ("sts.py", ["keygen", "--dkga", "04", "--vending-key", VK40, "--kt", "2", "--sgc",
                "123456", "--ti", "01", "--krn", "1", "--pan", "600727000000000008"], None,
     "check digit"),
    # provision.py
    ("provision.py", ["-o", "/nonexistent/dir/m.json", "--pan", PAN, "--key", KEY], None,
     "cannot write /nonexistent/dir/m.json"),
    ("provision.py", ["-o", "{tmp}", "--pan", PAN, "--key", KEY], None, "cannot write"),
    ("provision.py", ["-o", "-", "--key", KEY], None, "--pan is required"),
    ("provision.py", PROV, None, "--key --dkga is required"),
    ("provision.py", PROV + ["--key", KEY, "--dkga", "04", "--vending-key", VK40], None,
     "--dkga: not allowed with argument --key"),
    ("provision.py", PROV + ["--key", KEY, "--vending-key", VK40], None,
     "--key and --vending-key"),
    ("provision.py", PROV + ["--dkga", "04"], None, "--dkga needs --vending-key"),
    ("provision.py", PROV + ["--dkga", "04", "--vending-key", "zz"], None, "hex"),
    ("provision.py", PROV + ["--dkga", "04", "--vending-key", "0011"], None, "40 hex digits"),
    ("provision.py", PROV + ["--dkga", "02", "--vending-key", "0011223344556677", "--ea",
                             "11"], None, "EA07 only"),
    ("provision.py", PROV + ["--key", KEY, "--iin", "600727", "--iain", "00000000000"], None,
     "--pan and --iin"),
    ("provision.py", ["-o", "-", "--key", KEY, "--pan", "1234"], None, "PAN"),
    ("provision.py", PROV + ["--key", "XYZ"], None, "key"),
    ("provision.py", PROV + ["--key", KEY, "--sgc", "12"], None, "sgc"),
    ("provision.py", PROV + ["--key", KEY, "--krn", "x"], None, "--krn"),
    ("provision.py", PROV + ["--key", KEY, "--setting", "nope=1"], None, "--setting"),
    ("provision.py", PROV + ["--key", KEY, "--provisioned-at", "2026-13-01T00:00:00Z"], None,
     "provisioned_at"),
    ("provision.py", [], None, "required"),
    # sim.py
    ("sim.py", ["--meter", "{meter}", "--state", "{tmp}/s", "--script", "/nonexistent"], None,
     "cannot read the script /nonexistent"),
    ("sim.py", ["--meter", "/nonexistent", "--state", "{tmp}/s", "--script", "-"], "",
     "no meter file"),
    ("sim.py", ["--meter", "{meter}", "--state", "{file}", "--script", "-"], "", "--state"),
    ("sim.py", ["--meter", "{meter}"], None, "--state"),
    ("sim.py", ["--meter", "{meter}", "--state", "{tmp}/s", "--script", "-", "--runtime",
                "jvm"], None, "jvm"),
    ("sim.py", ["--meter", "{meter}", "--state", "{tmp}/s", "--script", "-"],
     "frobnicate\nstatus\n", "1 bad script line"),
    ("sim.py", ["--meter", "{meter}", "--state", "{tmp}/s", "--script", "-", "--runtime",
                "cpython"], "token 123\nkeys 0#\nload x\n", "2 bad script line"),
    # the others
    ("meter_script.py", [], None, "usage"),
    ("meter_script.py", ["{meter}"], None, "usage"),
    ("sts_requests.py", ["/nonexistent"], None, "cannot read /nonexistent"),
    ("dkga.py", [], None, "sts.py keygen"),
    ("bench.py", ["--only", "everything"], None, "everything"),
    ("bench.py", ["--from-json", "/nonexistent"], None, "cannot read /nonexistent"),
    ("bench.py", ["--from-json", "{meter}"], None, "not the JSON lines"),
    ("bench.py", ["--frobnicate"], None, "--frobnicate"),
    ("virtual_board.py", [], None, "--root"),
    ("virtual_board.py", ["--root", "{file}"], None, "cannot use --root"),
    ("virtual_pico.py", ["--image", "/nonexistent/x.img"], None, "cannot make the image"),
    ("virtual_pico.py", ["--image", "{file}"], None, "not a Pico filesystem image"),
    ("virtual_pico.py", ["--image", "{tmp}", "--lcd", "maybe"], None, "maybe"),
]


def meter_file(tmp_path):
    from meterkit import meter_doc

    path = tmp_path / "meter.json"
    path.write_text(json.dumps(meter_doc()))
    return path


def run_tool(tool, args, stdin, tmp_path):
    names = {"tmp": tmp_path, "meter": meter_file(tmp_path), "file": tmp_path / "plain.txt"}
    (tmp_path / "plain.txt").write_text("not what a tool wants\n")
    argv = [a.format(**names) for a in args]
    return subprocess.run([sys.executable, str(TOOLS / tool), *argv], input=stdin,
                          capture_output=True, text=True, timeout=120)


def case_id(case):
    return "%s %s" % (case[0], " ".join(case[1])[:60])


@pytest.mark.parametrize("tool,args,stdin,word", CASES, ids=[case_id(c) for c in CASES])
def test_bad_input_one_line_exit_2_no_traceback(tool, args, stdin, word, tmp_path):
    p = run_tool(tool, args, stdin, tmp_path)
    assert "Traceback" not in p.stdout + p.stderr
    assert p.returncode == 2, (p.returncode, p.stderr)
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith(tool) or tool == "sim.py", lines[0]  # (sim.py: its runner's)
    assert ".py: error: " in lines[0], lines[0]
    assert word in lines[0], (word, lines[0])


def test_a_python_without_the_packages_says_make_setup(tmp_path):
    """-S: no site-packages, as a system python3 on a fresh clone (no pycryptodome)."""
    keygen = ["keygen", "--dkga", "04", "--vending-key", VK40, "--kt", "2", "--sgc", "123456",
              "--ti", "01", "--krn", "1", "--pan", PAN]
    for tool, args in (("provision.py", PROV + ["--key", KEY]), ("sts.py", keygen)):
        p = subprocess.run([sys.executable, "-S", str(TOOLS / tool), *args],
                           capture_output=True, text=True, timeout=60)
        assert "Traceback" not in p.stderr and p.returncode == 2
        assert len(p.stderr.splitlines()) == 1
        assert "make setup" in p.stderr and ".venv/bin/python tools/" + tool in p.stderr


def test_provision_names_the_defaults_it_used_and_not_the_given_ones():
    p = subprocess.run([sys.executable, str(TOOLS / "provision.py"), *PROV, "--key", KEY,
                        "--sgc", "654321", "--provisioned-at", "2026-01-01T00:00:00Z"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0
    doc = json.loads(p.stdout)
    assert (doc["sgc"], doc["ti"], doc["krn"], doc["mfr_code"]) == ("654321", "01", 1, "99")
    [line] = p.stderr.splitlines()
    assert line.startswith("provision.py: using defaults: ")
    for shown in ("--ti 01", "--krn 1", "--mfr-code 99", "--ea 07", "--kt 2"):
        assert shown in line
    assert "--sgc" not in line and "--provisioned-at" not in line


def test_provision_help_shows_defaults_and_what_is_required():
    p = subprocess.run([sys.executable, str(TOOLS / "provision.py"), "--help"],
                       capture_output=True, text=True, timeout=60)
    text = " ".join(p.stdout.split())
    for shown in ("(default: 123456)", "(default: 01)", "(default: 1)", "(default: 99)",
                  "(default: 07)", "(default: 2014)", "(default: 255)", "(default: now)",
                  "PAN, 18 digits (required", "-o OUTPUT", "(--key KEY | --dkga"):
        assert shown in text, shown


@pytest.mark.parametrize("issued,tid", [("2026-12-01", "2026-12-01T00:00:00Z"),
                                        ("2026-12-01T10:11", "2026-12-01T10:11:00Z"),
                                        ("2026-12-01T10:11:59Z", "2026-12-01T10:11:00Z"),
                                        ("2024-02-29T23:59", "2024-02-29T23:59:00Z")])
def test_generate_issued_forms_decode_to_that_time(issued, tid):
    sts = [sys.executable, str(TOOLS / "sts.py")]
    p = subprocess.run(sts + GEN + ["--issued", issued], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    d = subprocess.run(sts + ["decode", p.stdout.strip(), "--key", KEY], capture_output=True,
                       text=True, timeout=60)
    assert json.loads(d.stdout)["issued"] == tid


def test_batch_numeric_token_and_missing_key_are_named():
    lines = [{"token": int(TOKEN), "key": KEY}, {"token": TOKEN}, {"key": KEY}]
    p = subprocess.run([sys.executable, str(TOOLS / "sts.py"), "decode", "--batch", "-"],
                       input="".join(json.dumps(x) + "\n" for x in lines),
                       capture_output=True, text=True, timeout=60)
    details = [json.loads(line)["detail"] for line in p.stdout.splitlines()]
    assert p.returncode == 1
    assert details[0].startswith("token must be a JSON string of 20 digits")
    assert details[1].startswith("missing key")
    assert details[2] == "missing token"


def test_a_class_1_token_decodes_without_a_key():
    sts = [sys.executable, str(TOOLS / "sts.py")]
    t = subprocess.run(sts + ["generate", "--type", "test_display_1", "--control", "2",
                              "--mfr-code", "7"], capture_output=True, text=True, timeout=60)
    p = subprocess.run(sts + ["decode", t.stdout.strip()], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0 and json.loads(p.stdout)["type"] == "test_display_1"
