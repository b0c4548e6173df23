"""The firmware as deployed on a Raspberry Pi Pico, driven only through its pins.

The board is tools/virtual_pico.py: MicroPython's rp2 firmware (v1.28.0) in the rp2040js
emulator. The firmware goes on it the way it goes on a real Pico, once per session:
`make deploy BOARD=rpi_pico PORT=<the emulator's pty> METER=...` (mpy-cross for armv6m,
mpremote through the pty), then one power-on provisions the meter and seals its key. Each
test starts from a copy of that flash image, types on the keypad matrix, reads the LCD
from the I2C bytes, watches the relay, LED and buzzer pins, sends S0 pulses, cuts the
power (also in the middle of a flash write) and reads the USB console.

The emulator runs stepped: emulated time passes only while a call waits for the board,
so every run of a test is the same. All times are emulated.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, TOOLS
from meterkit import KEY07, OTHER07, credit, make, meter_doc

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the virtual Pico needs a pty")

import virtual_pico  # noqa: E402  (tools/ is on sys.path via conftest)
from virtual_pico import PowerOff, VirtualPico  # noqa: E402

KEY2 = "1122334455667788"  # the key a key change set moves to
# the idle screen, both lines written (a line is drawn a character at a time)
READY = (r"^Credit [0-9.]+ kWh *\n(No credit|Low credit|Load [0-9]+ W|Locked [0-9]+ s|TAMPER"
         r"|Overload [0-9]+ s) *$")


@pytest.fixture(scope="session")
def golden(tmp_path_factory):
    """A flash image with the firmware deployed by `make deploy` and the meter provisioned
    (first power-on done: key sealed into the state, removed from meter.json)."""
    if not (ROOT / "tools" / "pico" / "node_modules" / "rp2040js").is_dir():
        pytest.fail("the virtual Pico is not installed: run the tests with `make test`")
    folder = tmp_path_factory.mktemp("pico")
    image = folder / "flash.img"
    meter = folder / "meter.json"
    meter.write_text(json.dumps(meter_doc()))
    with VirtualPico(image, stepped=False, realtime=True, serial_pty=True) as pico:
        make_cmd = ["make", "-s", "deploy", "BOARD=rpi_pico", "PORT=" + pico.port,
                    "METER=" + str(meter)]
        r = subprocess.run(make_cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "reset the board" in r.stdout
        pico.wait(lcd=READY, timeout_ms=5000)  # provisioned: the key is sealed
        listing = mpremote(pico.port, "fs", "ls", ":")
    for name in ("main.py", "board.py", "meter.json", "lib/", "state/"):
        assert name in listing
    return image


def mpremote(port, *args):
    r = subprocess.run([sys.executable, "-m", "mpremote", "connect", port, *args],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


@pytest.fixture
def pico(golden, tmp_path):
    """The provisioned meter, powered on and showing its idle screen."""
    image = tmp_path / "flash.img"
    shutil.copy(golden, image)
    with VirtualPico(image) as board:
        board.wait(lcd=READY, timeout_ms=5000)
        yield board


def enter(pico, keys):
    """Type keys then wait until the LCD settles on the result; returns (top, bottom)."""
    typed = pico.type(keys, hold_ms=60, gap_ms=60)
    pico.run(600)  # the result, saved and shown
    return tuple(line.rstrip() for line in pico.lcd), typed


def result(pico, keys):
    return enter(pico, keys)[0]


def short(pico, code):
    """A short code's answer on the LCD."""
    return result(pico, "%d#" % code)


def mistyped(token):
    return token[:19] + str((int(token[19]) + 1) % 10)


# -- the ROM files --------------------------------------------------------------------


def test_firmware_image_and_boot_rom_are_the_recorded_files():
    rom = ROOT / "tools" / "pico" / "rom"
    sums = (rom / "SHA256SUMS").read_text().split("\n")
    checked = 0
    for line in filter(None, sums):
        digest, name = line.split()
        assert hashlib.sha256((rom / name).read_bytes()).hexdigest() == digest, name
        assert digest in (rom / "PROVENANCE.md").read_text()
        checked += 1
    assert checked == 2


# -- tokens on the keypad -------------------------------------------------------------


def test_credit_token_accepted_shown_and_relay_closes(pico):
    assert pico.lcd == ["Credit 0.0 kWh  ", "No credit       "]
    assert not pico.relay and not pico.state()["led"]
    beeps = pico.state()["beeps"]
    (top, bottom), typed = enter(pico, credit(10) + "#")
    assert (top, bottom) == ("Accept 10.0 kWh", "Credit 10.0 kWh")
    s = pico.state()
    assert s["relay"] and s["led"]
    assert s["beeps"] >= beeps + 21  # a click per key, then the accept pattern
    # the relay closed after the '#' and after the result was saved to flash
    hist = pico.history(since=typed["pressed"][-1])
    closed_at = [ns for ns, on in hist["relay"] if on][0]
    assert any(op[1] == "program" and op[0] < closed_at for op in hist["flash"])
    pico.run(6000)  # the message times out: the idle screen
    assert pico.lcd == ["Credit 10.0 kWh ", "Load 0 W        "]


def test_used_token_is_refused_and_credit_unchanged(pico):
    token = credit(5)
    assert result(pico, token + "#") == ("Accept 5.0 kWh", "Credit 5.0 kWh")
    assert result(pico, token + "#") == ("Used", "Entered before")
    assert short(pico, 0) == ("Credit", "5.0 kWh")


def test_another_meters_token_and_a_backspace(pico):
    assert result(pico, credit(5, key=OTHER07) + "#") == ("Reject", "CRC error")
    token = credit(2)
    # a wrong last digit deleted with '*' and typed again
    assert result(pico, token[:19] + "0*" + token[19] + "#") == ("Accept 2.0 kWh",
                                                                  "Credit 2.0 kWh")


def test_three_mistyped_tokens_lock_the_keypad_across_a_power_cycle(pico):
    good = credit(3)
    assert result(pico, mistyped(good) + "#") == ("Reject", "CRC error")
    assert result(pico, mistyped(credit(4)) + "#") == ("Reject", "CRC error")
    assert result(pico, mistyped(credit(6)) + "#") == ("Reject", "Locked 10 s")
    assert result(pico, good + "#")[0].startswith("Locked")
    pico.power_cycle()
    pico.wait(lcd=READY, timeout_ms=5000)
    assert re.fullmatch(r"Locked [0-9]+ s", pico.lcd[1].rstrip())  # still locked
    assert result(pico, good + "#")[0].startswith("Locked")
    pico.run(10000)  # the lockout ends in meter time
    assert pico.lcd[1].rstrip() == "No credit"
    assert result(pico, good + "#") == ("Accept 3.0 kWh", "Credit 3.0 kWh")


def test_s0_pulses_spend_credit_until_the_relay_opens(pico):
    assert result(pico, credit(0.1) + "#") == ("Accept 0.1 kWh", "Credit 0.1 kWh")
    assert pico.relay
    pico.pulses(50)  # 50 Wh at 1000 imp/kWh
    pico.run(1500)  # the meter takes the pulses once a second
    assert pico.relay and short(pico, 0) == ("Credit", "0.0 kWh")  # 50 Wh left: 0.0 shown
    sent = pico.pulses(60)  # the last 50 Wh and more
    opened = [ns for ns, on in pico.history(since=sent["ns"] - 6_000_000_000)["relay"]
              if not on]
    assert opened, "the relay did not open"
    pico.run(6000)
    assert not pico.relay and not pico.state()["led"]
    assert pico.lcd[1].rstrip() == "No credit"
    # the relay opened within a metering period of the 100th Wh (the 50th pulse sent now)
    fiftieth = sent["ns"] - 60 * 100_000_000 + 49 * 100_000_000
    assert 0 <= opened[0] - fiftieth <= 1_200_000_000
    pico.power_cycle()
    pico.wait(lcd=READY, timeout_ms=5000)
    assert not pico.relay and pico.lcd[1].rstrip() == "No credit"  # saved with the relay


def test_key_change_set_then_tokens_under_the_new_key(pico):
    kct = make("key_change", new_key=KEY2, krn=2, kt=2, ti=1, minutes=30)
    assert result(pico, kct[0] + "#") == ("Key change 1", "Enter next token")
    assert result(pico, kct[1] + "#") == ("Accept", "key changed")
    assert short(pico, 4) == ("KRN2 KT2 TI01", "S123456 EA07 B14")
    assert result(pico, credit(1, key=KEY2, minutes=90) + "#") == ("Accept 1.0 kWh",
                                                                    "Credit 1.0 kWh")
    assert result(pico, credit(1, key=KEY07, minutes=91) + "#") == ("Reject", "CRC error")
    pico.power_cycle()  # the new key was sealed into flash
    pico.wait(lcd=READY, timeout_ms=5000)
    assert short(pico, 4) == ("KRN2 KT2 TI01", "S123456 EA07 B14")


def test_a_stuck_key_gives_one_digit_and_the_keypad_still_works(pico):
    token = credit(1)
    stuck = [d for d in "0123456789" if d not in token][0]  # a digit the token lacks
    pico.stick(stuck)
    pico.run(3000)  # held far beyond a long press: no repeat
    assert pico.lcd[1].rstrip().endswith("(1)") and pico.lcd[0].rstrip() == stuck
    assert result(pico, "*" + token + "#") == ("Accept 1.0 kWh", "Credit 1.0 kWh")


# -- power cuts -----------------------------------------------------------------------


def test_power_cut_in_the_middle_of_every_flash_write_of_a_token(golden, tmp_path):
    """Cut the power half-way through each erase and program the token's save makes:
    after the restart the meter is on the last committed record, and typing the token
    again gives its credit exactly once."""
    token = credit(7)
    dry = tmp_path / "dry.img"
    shutil.copy(golden, dry)
    with VirtualPico(dry) as pico:
        pico.wait(lcd=READY, timeout_ms=5000)
        start = pico.ns
        result(pico, token + "#")
        ops = [op[1] for op in pico.history(since=start)["flash"]]
    assert ops, "the token's save wrote nothing to flash"
    outcomes = set()
    for k, kind in enumerate(ops):
        image = tmp_path / ("cut%d.img" % k)
        shutil.copy(golden, image)
        with VirtualPico(image) as pico:
            pico.wait(lcd=READY, timeout_ms=5000)
            pico.cut_in_flash_write(after=k, fraction=0.5)
            try:
                result(pico, token + "#")
            except PowerOff:
                pass
            state = pico.state()
            assert not state["on"], "op %d (%s): the cut did not happen" % (k, kind)
            assert state["last_cut"]["kind"] == kind
            pico.power_on()
            pico.wait(lcd=READY, timeout_ms=5000)
            assert pico.lcd[1].rstrip() != "TAMPER", "op %d: a cut is not tamper" % k
            before = short(pico, 0)
            again = result(pico, token + "#")
            after = short(pico, 0)
        assert after == ("Credit", "7.0 kWh"), (k, kind, before, again)
        if before == ("Credit", "7.0 kWh"):
            assert again == ("Used", "Entered before")
            outcomes.add("after")
        else:
            assert before == ("Credit", "0.0 kWh") and again[0] == "Accept 7.0 kWh"
            outcomes.add("before")
    assert "before" in outcomes  # the first write was cut: nothing committed yet


# -- a person with the board's files: old files copied back, files deleted ---------


def files_by_mpremote(pico, *args):
    """mpremote on the board's USB serial (the meter stops: Ctrl-C), then stepped again."""
    pico.mode(stepped=False, realtime=True)
    try:
        return mpremote(pico.port, *args)
    finally:
        pico.mode(stepped=True, realtime=False)


@pytest.fixture
def pico_usb(golden, tmp_path):
    """The provisioned meter with its USB serial on a pty."""
    image = tmp_path / "flash.img"
    shutil.copy(golden, image)
    with VirtualPico(image, serial_pty=True) as board:
        board.wait(lcd=READY, timeout_ms=5000)
        yield board


def test_old_state_files_copied_back_with_mpremote_are_tamper(pico_usb, tmp_path):
    pico = pico_usb
    ts = [credit(1, minutes=60 + i) for i in range(4)]
    for t in ts[:2]:
        assert result(pico, t + "#")[0] == "Accept 1.0 kWh"
    copy = tmp_path / "copy"
    copy.mkdir()
    names = files_by_mpremote(pico, "exec", "import os; print(' '.join(os.listdir('state')))")
    for name in names.split():  # (mpremote copies a board's folder file by file)
        files_by_mpremote(pico, "fs", "cp", ":state/" + name, str(copy / name))
    pico.power_cycle()
    pico.wait(lcd=READY, timeout_ms=5000)
    for t in ts[2:]:
        assert result(pico, t + "#")[0] == "Accept 1.0 kWh"
    # the current state files removed, the copies put back
    files_by_mpremote(pico, "exec", "import os\nfor n in os.listdir('state'):\n"
                      "    os.remove('state/' + n)")
    files_by_mpremote(pico, "fs", "cp", *sorted(str(p) for p in copy.iterdir()), ":state/")
    pico.power_cycle()
    pico.wait(lcd=READY, timeout_ms=5000)
    assert pico.lcd[1].rstrip() == "TAMPER" and not pico.relay
    assert short(pico, 0) == ("Credit", "4.0 kWh")  # the newest state, not the copy's
    assert result(pico, ts[3] + "#") == ("Used", "Entered before")


def test_state_files_deleted_with_mpremote_keep_the_key_and_the_credit(pico_usb):
    pico = pico_usb
    assert result(pico, credit(2) + "#") == ("Accept 2.0 kWh", "Credit 2.0 kWh")
    files_by_mpremote(pico, "exec", "import os\nfor n in os.listdir('state'):\n"
                      "    os.remove('state/' + n)\nos.rmdir('state')")
    pico.power_cycle()
    pico.wait(lcd=READY, timeout_ms=5000)
    assert pico.lcd[1].rstrip() == "TAMPER" and not pico.relay
    assert short(pico, 0) == ("Credit", "2.0 kWh")
    # the key is still there: the utility's clear-tamper token is taken
    assert result(pico, make("clear_tamper", minutes=120) + "#") == ("Accept",
                                                                       "tamper cleared")
    pico.run(1000)
    assert pico.relay


# -- production mode: the USB serial does not reach the REPL ----------------------------

WIPE = ("import rp2, board\nfrom stsmeter.seal import Sealer\n"
        "from stsmeter.journal import Journal\nfrom stsmeter.jobs.decommission import wipe\n"
        "wipe(Journal(rp2.Flash(), 'state', Sealer(board.device_id()).cmac))\n")
JOURNAL_BLOCKS = ("import rp2\nf = rp2.Flash()\nb = bytearray(4)\nn = 0\n"
                  "for i in range(f.ioctl(4, 0)):\n    f.readblocks(i, b)\n"
                  "    n += b == b'STSJ'\nprint(n)\n")


def mpremote_refused(port, *args, wait_s=30):
    """mpremote cannot get in: it gives up ("could not enter raw repl") or waits for an
    answer that never comes (on a development board it is in within ~2 s)."""
    proc = subprocess.Popen([sys.executable, "-m", "mpremote", "connect", port, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=wait_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.communicate()
        return True
    return proc.returncode != 0 and "raw repl" in out.lower()


@pytest.fixture
def production(pico_usb, tmp_path):
    """The meter erased and provisioned anew with "production": true in meter.json."""
    pico = pico_usb
    meter = tmp_path / "production.json"
    meter.write_text(json.dumps(meter_doc(production=True)))
    files_by_mpremote(pico, "exec", WIPE)
    files_by_mpremote(pico, "fs", "cp", str(meter), ":meter.json")
    pico.power_cycle()
    pico.wait(lcd=READY, timeout_ms=5000)
    return pico


def test_production_mode_closes_the_repl_to_mpremote(production):
    pico = production
    pico.mode(stepped=False, realtime=True)
    assert mpremote_refused(pico.port, "exec", "print(1)")
    assert mpremote_refused(pico.port, "fs", "ls", ":state")
    pico.power_cycle()  # at power-on too, before the meter has started
    assert mpremote_refused(pico.port, "exec", "print(1)")
    pico.mode(stepped=True, realtime=False)
    pico.wait(lcd=READY, timeout_ms=5000)
    assert result(pico, credit(3) + "#") == ("Accept 3.0 kWh", "Credit 3.0 kWh")


def test_decommission_erases_key_and_state_then_opens_the_repl(production):
    pico = production
    assert result(pico, credit(3) + "#")[0] == "Accept 3.0 kWh"
    pico.power_off()
    pico.stick("*")  # held while the board is powered on
    pico.power_on()
    pico.wait(lcd="Decommission", timeout_ms=5000)
    pico.stick("*", on=False)
    pico.run(500)
    pico.type(make("clear_tamper", minutes=130) + "#", hold_ms=60, gap_ms=60)
    pico.wait(lcd="Not provisioned", timeout_ms=10000)  # restarted, no key, no state
    pico.mode(stepped=False, realtime=True)
    assert mpremote(pico.port, "exec", JOURNAL_BLOCKS).strip() == "0"  # blocks erased
    out = mpremote(pico.port, "exec", "import os\nprint(sorted(os.listdir()))\n"
                   "print(os.listdir('state') if 'state' in os.listdir() else [])")
    files, state = out.strip().splitlines()
    assert "production" not in files and state == "[]"  # no mark, no state file
    assert "decoder_key" not in mpremote(pico.port, "fs", "cat", ":meter.json")


def test_decommission_wants_a_clear_tamper_token(production):
    pico = production
    pico.power_off()
    pico.stick("*")
    pico.power_on()
    pico.wait(lcd="Decommission", timeout_ms=5000)
    pico.stick("*", on=False)
    pico.run(500)
    assert result(pico, credit(3) + "#")[0] == "Refused"
    pico.wait(lcd=READY, timeout_ms=10000)  # the meter starts as usual, credit not taken
    assert short(pico, 0) == ("Credit", "0.0 kWh")
    pico.mode(stepped=False, realtime=True)
    assert mpremote_refused(pico.port, "exec", "print(1)")  # still in production


# -- the LCD missing or failing -------------------------------------------------------


def test_without_an_lcd_the_meter_starts_meters_and_says_why_on_the_console(golden,
                                                                           tmp_path):
    image = tmp_path / "flash.img"
    shutil.copy(golden, image)
    with VirtualPico(image, lcd="absent") as pico:
        pico.run(2500)
        console = pico.console()
        assert re.search(r"hd44780 display at 0x27 on I2C0 \(SDA GPIO16, SCL GPIO17\) not "
                         r"answering \(\[Errno 5\] EIO\); the meter runs on without it",
                         console), console
        assert "Traceback" not in console
        assert pico.lcd == ["", ""] or pico.lcd == [" " * 16] * 2
        beeps = pico.state()["beeps"]
        pico.type(credit(0.1) + "#", hold_ms=60, gap_ms=60)
        pico.run(1000)
        assert pico.relay and pico.state()["beeps"] > beeps  # accepted, relay closed
        pico.pulses(110)  # spends it: the relay opens
        pico.run(1500)
        assert not pico.relay
        pico.power_cycle()  # the state was saved without a display
        pico.run(2500)
        assert not pico.relay
        pico.mode(lcd="present")  # plugged in: shown within the retry period
        pico.run(6000)
        assert pico.lcd[0].rstrip() == "Credit 0.0 kWh"
        assert "answers again" in pico.console()
        pico.type(credit(0.1) + "#", hold_ms=60, gap_ms=60)  # the same token: Used
        pico.run(600)
        assert pico.lcd[0].rstrip() == "Used"


def test_an_lcd_failing_while_running_does_not_stop_the_meter(pico):
    mark = pico.console_end()
    pico.mode(lcd="nack")  # acknowledges its address, not the data
    pico.type(credit(1) + "#", hold_ms=60, gap_ms=60)
    pico.run(1000)
    assert pico.relay  # accepted and switched, the display notwithstanding
    assert re.search(r"hd44780 display .* failed \(\[Errno 5\] EIO\)", pico.console(mark))
    pico.mode(lcd="present")
    pico.run(6000)
    assert pico.lcd[0].rstrip() in ("Credit 1.0 kWh", "Accept 1.0 kWh")


# -- the serial port: mpremote and deploy work as on a Pico ---------------------------


def test_mpremote_on_the_pty_reads_the_boards_files(golden, tmp_path):
    image = tmp_path / "flash.img"
    shutil.copy(golden, image)
    with VirtualPico(image, stepped=False, realtime=True, serial_pty=True) as pico:
        pico.wait(lcd=READY, timeout_ms=5000)  # the meter is running: Ctrl-C stops it
        out = mpremote(pico.port, "exec", "import os; print(sorted(os.listdir('state')))")
        assert re.fullmatch(r"\[('journal\.[0-9]+', )+'provisioned', 'settings'\]",
                            out.strip()), out
        meter = mpremote(pico.port, "fs", "cat", ":meter.json")
        assert "decoder_key" not in meter and KEY07 not in meter  # sealed, then removed


def test_board_pins_come_from_the_pin_map():
    pins = virtual_pico.board_pins(ROOT / "boards" / "rpi_pico.py")
    assert pins["KEYPAD_KEYS"] == "123A456B789C*0#D" and pins["DISPLAY_ADDR"] == 0x27
    with pytest.raises(virtual_pico.PicoError):
        virtual_pico.board_pins(TOOLS / "virtual_pico.py")


# -- a firmware update and a re-provisioning by make deploy ---------------------------


def deploy_to(pico, tmp_path, meter, *extra):
    """tools/deploy.py to the running board; returns its output once the board, reset by
    it, has started the meter again (the LCD keeps its power and its text over a reset:
    the console says when the firmware starts)."""
    mark = pico.console_end()
    pico.mode(stepped=False, realtime=True)
    try:
        r = subprocess.run([sys.executable, str(TOOLS / "deploy.py"), "--board", "rpi_pico",
                            "--port", pico.port, "--meter", str(meter), "--build",
                            str(tmp_path / "build"), *extra],
                           cwd=ROOT, capture_output=True, text=True, timeout=600)
    finally:
        pico.mode(stepped=True, realtime=False)
    assert r.returncode == 0, r.stdout + r.stderr
    pico.wait(console=r"stsmeter \S+: development mode", since=mark, timeout_ms=20000)
    pico.run(3000)  # started: the idle screen
    pico.wait(lcd=READY, timeout_ms=10000)
    return r.stdout


def test_update_keeps_the_meter_and_reprovision_makes_a_new_one(pico_usb, tmp_path):
    pico = pico_usb
    token = credit(5)
    assert result(pico, token + "#") == ("Accept 5.0 kWh", "Credit 5.0 kWh")
    new = tmp_path / "new.json"
    new.write_text(json.dumps(meter_doc(decoder_key=KEY2, sgc="654321")))
    # (a) the firmware update: credit, key and TIDs kept; the new meter.json not copied
    out = deploy_to(pico, tmp_path, new)
    assert "board already provisioned: state kept" in out and "REPROVISION=1" in out
    assert short(pico, 0) == ("Credit", "5.0 kWh")
    assert result(pico, token + "#") == ("Used", "Entered before")
    assert short(pico, 4) == ("KRN1 KT2 TI01", "S123456 EA07 B14")
    # (b) re-provisioning with another key and SGC: a new meter, no credit
    out = deploy_to(pico, tmp_path, new, "--reprovision", "--yes")
    assert "RE-PROVISIONING" in out and "wiped" in out
    assert short(pico, 0) == ("Credit", "0.0 kWh")
    assert short(pico, 4) == ("KRN1 KT2 TI01", "S654321 EA07 B14")
    assert result(pico, credit(2, key=KEY07, minutes=61) + "#") == ("Reject", "CRC error")
    assert result(pico, credit(2, key=KEY2, minutes=62) + "#") == ("Accept 2.0 kWh",
                                                                    "Credit 2.0 kWh")
