"""End to end: `make sim`'s firmware (firmware/main.py on the MicroPython unix port with
boards/sim.py) driven through its keyboard input, read from the screen it draws."""

import sys
import time

import pytest
from conftest import ROOT, TOOLS
from piped import Piped

ESC_CLEAR = "\x1b[H\x1b[2J"
TEN = "10 kWh: after 99# (5 kWh emergency credit), repays it"


class Sim(Piped):
    def __init__(self, folder, *args):
        super().__init__([sys.executable, str(TOOLS / "simterm.py"), "--dir", str(folder),
                          *map(str, args)])

    def frame(self):
        text = self.text()
        return text.rsplit(ESC_CLEAR, 1)[-1] if ESC_CLEAR in text else ""

    def lcd(self):
        rows = [ln for ln in self.frame().split("\r\n") if ln.startswith("|")]
        return [r[1:17].strip() for r in rows[:2]]

    def wait(self, pred, timeout=20, what=""):
        end = time.time() + timeout
        while time.time() < end:
            if pred():
                return True
            time.sleep(0.05)
        raise AssertionError("%s: screen never matched; last frame:\n%s" % (what, self.frame()))

    def keys(self, text):
        for ch in text:
            self.proc.stdin.write(ch.encode())
            self.proc.stdin.flush()
            time.sleep(0.01)

    def quit(self):
        self.keys("q")
        assert self.proc.wait(timeout=20) == 0
        self._reader.join(timeout=5)


@pytest.fixture
def sim_dir(tmp_path):
    return tmp_path / "sim"


def tokens(folder):
    out = {}
    for line in (folder / "tokens.txt").read_text().splitlines():
        digits = line[:24].replace(" ", "")
        if digits.isdigit():  # (the demo meter's description above the tokens)
            out[line[24:].strip()] = digits
    return out


def test_first_run_provisions_and_accepts_and_rejects(sim_dir):
    sim = Sim(sim_dir)
    try:
        sim.wait(lambda: sim.lcd() and sim.lcd()[0].startswith("Credit"))
        t = tokens(sim_dir)
        ten = t[TEN]
        assert len(t) >= 8
        assert "Credit 0.1 kWh" in sim.lcd()[0]  # the "already used" token went in
        sim.keys(ten[:8])
        sim.wait(lambda: sim.lcd() == [ten[:4] + " " + ten[4:8], "(8)"])
        sim.keys(ten[8:] + "\r")
        sim.wait(lambda: sim.lcd()[0] == "Accept 10.0 kWh")
        sim.keys(t["already used: Used"] + "\r")
        sim.wait(lambda: sim.lcd()[0] == "Used")
        sim.keys(t["another meter's: Reject"] + "#")
        sim.wait(lambda: sim.lcd() == ["Reject", "CRC error"])
        sim.keys("12\x7f\x7f0\r")  # Backspace twice, then short code 0
        sim.wait(lambda: sim.lcd() == ["Credit", "10.1 kWh"])
        sim.keys("123\x7f\x7f\r")  # each Backspace deletes one digit: short code 1
        sim.wait(lambda: sim.lcd() == ["Load", "0 W"])
        sim.keys("123**7#")  # '*' keeps the keypad's rule: twice clears (else 17#)
        sim.wait(lambda: sim.lcd() == ["No tamper", ""])
        sim.keys("+" * 5)
        sim.wait(lambda: "Load    500 W (drawing 500 W)" in sim.frame())
        assert "Relay   ON" in sim.frame()
    finally:
        sim.quit()


def test_quit_and_start_again_is_a_power_cycle(sim_dir):
    sim = Sim(sim_dir)
    sim.wait(lambda: sim.lcd() and sim.lcd()[0].startswith("Credit"))
    t = tokens(sim_dir)
    sim.keys(t["25.6 kWh"] + "\r")
    sim.wait(lambda: sim.lcd()[0] == "Accept 25.6 kWh")
    sim.quit()
    again = Sim(sim_dir)
    try:
        again.wait(lambda: again.lcd() and again.lcd()[0] == "Credit 25.7 kWh")
        again.keys(t["25.6 kWh"] + "\r")
        again.wait(lambda: again.lcd()[0] == "Used")
    finally:
        again.quit()


def test_key_change_pair_then_new_key_credit(sim_dir):
    sim = Sim(sim_dir)
    try:
        sim.wait(lambda: sim.lcd() and sim.lcd()[0].startswith("Credit"))
        t = tokens(sim_dir)
        sim.keys(t["key change, 1st of 2"] + "\r")
        sim.wait(lambda: sim.lcd() == ["Key change 1", "Enter next token"])
        sim.keys(t["key change, 2nd of 2"] + "\r")
        sim.wait(lambda: sim.lcd() == ["Accept", "key changed"])
        sim.keys(t["5 kWh under the new key"] + "\r")
        sim.wait(lambda: sim.lcd()[0] == "Accept 5.0 kWh")
    finally:
        sim.quit()


def test_firmware_without_state_or_key_refuses_to_start(sim_dir):
    """Once running, the firmware keeps no key in meter.json: with its state wiped it can
    no longer provision itself, so no token it took can be taken again."""
    sim = Sim(sim_dir)
    sim.wait(lambda: sim.lcd() and sim.lcd()[0].startswith("Credit"))
    sim.quit()
    assert "decoder_key" not in (sim_dir / "meter.json").read_text()
    for f in (sim_dir / "state").iterdir():
        f.unlink()
    again = Sim(sim_dir)
    again.wait(lambda: again.lcd() == ["Not provisioned", "decoder_key"])  # what is missing
    assert again.proc.wait(timeout=20) == 0
    assert b"cannot start" in again.out


def test_the_demo_list_typed_in_order_does_what_it_says(sim_dir):
    sim = Sim(sim_dir)
    try:
        sim.wait(lambda: sim.lcd() and sim.lcd()[0].startswith("Credit"))
        # the sample screen in the README is the screen `make sim` starts with
        readme = (ROOT / "README.md").read_text()
        sample = readme.split("## The meter in a terminal")[1].split("```\n")[1]
        frame = sim.frame().split("\r\n")
        assert [ln.rstrip() for ln in frame[:3]] == [ln.rstrip() for ln in sample.split("\n")[:3]]
        assert frame[3].split("Clock")[0] == sample.split("\n")[3].split("Clock")[0]
        assert frame[4] == sample.split("\n")[4]  # the keys line
        lines = [ln for ln in (sim_dir / "tokens.txt").read_text().splitlines()
                 if ln[:24].replace(" ", "").isdigit()]
        order = [(ln[24:].strip(), ln[:24].replace(" ", "")) for ln in lines]
        (label, tok), rest = order[0], order[1:]
        assert label.startswith("0.1 kWh: then + ten times (1 kW), f (x60): out in ~12 s")
        sim.keys(tok + "\r")
        sim.wait(lambda: sim.lcd() == ["Accept 0.1 kWh", "Credit 0.2 kWh"])
        sim.keys("+" * 10 + "f")
        sim.wait(lambda: "Load    1000 W (drawing 1000 W)" in sim.frame())
        sim.wait(lambda: "Relay   OFF" in sim.frame() and sim.lcd()[1] == "No credit",
                 timeout=20)  # 0.2 kWh at 1 kW, 60 times faster: 12 s
        sim.keys("99#")
        sim.wait(lambda: sim.lcd() == ["Emergency credit", "+5.0 kWh"])
        expect = {
            TEN: ["Accept 10.0 kWh", "Repaid 5.0 kWh"],
            "25.6 kWh": ["Accept 25.6 kWh"],
            "already used: Used": ["Used", "Entered before"],
            "another meter's: Reject": ["Reject", "CRC error"],
            "max power 3000 W": ["Accept", "Limit 3000 W"],
            "! (the tamper switch), then this clear-tamper token": ["Accept", "tamper cleared"],
            "key change, 1st of 2": ["Key change 1", "Enter next token"],
            "key change, 2nd of 2": ["Accept", "key changed"],
            "5 kWh under the new key": ["Accept 5.0 kWh"],
            "test/display (class 1)": ["#" * 16, "#" * 16],  # the display test
        }
        assert [label for label, _ in rest] == list(expect)
        sim.keys("f" + "-" * 10)  # back to x1, no load
        for label, tok in rest:
            if label.startswith("!"):
                sim.keys("!")
                sim.wait(lambda: "TAMPER" in sim.frame())
            sim.keys(tok + "\r")
            want = expect[label]
            sim.wait(lambda: sim.lcd()[:len(want)] == want, what=label)
    finally:
        sim.quit()


def test_t_makes_fresh_tokens_for_the_demo_meter(sim_dir):
    sim = Sim(sim_dir)
    try:
        sim.wait(lambda: sim.lcd() and sim.lcd()[0].startswith("Credit"))
        sim.keys("t3.5\r")  # an amount, typed in the terminal: never reaches the meter
        sim.wait(lambda: "3.5 kWh (after the key change, KRN 2)" in sim.frame())
        assert sim.lcd()[0] == "Credit 0.1 kWh"
        fresh = {ln[24:].strip(): ln[:24].replace(" ", "")
                 for ln in (sim_dir / "fresh.txt").read_text().splitlines()[1:]}
        sim.keys("!")
        sim.wait(lambda: "TAMPER" in sim.frame())
        sim.keys(fresh["clear tamper"] + "\r")
        sim.wait(lambda: sim.lcd() == ["Accept", "tamper cleared"])
        sim.keys(fresh["3.5 kWh"] + "\r")
        sim.wait(lambda: sim.lcd() == ["Accept 3.5 kWh", "Credit 3.6 kWh"])
        sim.keys("t\r")  # again: new tokens (10 kWh), never one issued before
        sim.wait(lambda: "10 kWh (after the key change, KRN 2)" in sim.frame())
        again = [ln[:24] for ln in (sim_dir / "fresh.txt").read_text().splitlines()[1:]]
        assert not set(again) & {" ".join(t[i:i + 4] for i in range(0, 20, 4))
                                 for t in fresh.values()}
        sim.keys(again[1].replace(" ", "") + "\r")  # its clear-tamper: taken, not Used
        sim.wait(lambda: sim.lcd() == ["Accept", "tamper cleared"])
    finally:
        sim.quit()


def test_a_board_without_meter_json_says_what_to_do(tmp_path):
    """The console of a board with no meter.json names the file and the command."""
    import shutil
    import subprocess

    import paths
    from conftest import FIRMWARE_LIB, micropython_exe

    for src, name in paths.board_files("sim"):  # as make sim puts the PC board in place
        shutil.copy(src, tmp_path / name)
    env = {"MICROPYPATH": ".:%s:.frozen" % FIRMWARE_LIB, "PATH": "/usr/bin:/bin"}
    r = subprocess.run([micropython_exe(), str(ROOT / "firmware" / "main.py")], cwd=tmp_path,
                       env=env, input=b"q", capture_output=True, timeout=60)
    out = r.stdout.decode()
    assert "stsmeter: cannot start: no meter.json on the board: provision it with `make " \
           "deploy BOARD=<board> PORT=<port> METER=<your meter.json>`" in out, out
    assert "|Not provisioned |" in out and "ENOENT" not in out


def test_make_sim_with_your_own_meter(tmp_path):
    """`make sim METER=meter.json`: a meter of the user's, their own token taken; 't' says
    how to make tokens for it; the same folder refuses another meter."""
    import subprocess

    key = "1A2B3C4D5E6F7081"
    meter = tmp_path / "meter.json"
    subprocess.run([sys.executable, str(TOOLS / "provision.py"), "-o", str(meter), "--key",
                    key, "--pan", "600727000000000017"], check=True, capture_output=True)
    tok = subprocess.run([sys.executable, str(TOOLS / "sts.py"), "generate", "--amount", "3",
                          "--key", key], check=True, capture_output=True,
                         text=True).stdout.split()[0]
    folder = tmp_path / "own"
    sim = Sim(folder, "--meter", meter)
    sim.wait(lambda: sim.lcd()[:1] == ["Credit 0.0 kWh"], what="the new meter")
    sim.keys("t")
    sim.wait(lambda: "make its tokens with" in sim.frame(), what="how to make tokens")
    sim.keys(tok + "#")
    sim.wait(lambda: sim.lcd()[:1] == ["Accept 3.0 kWh"], what="the user's token")
    sim.quit()
    other = tmp_path / "other.json"
    subprocess.run([sys.executable, str(TOOLS / "provision.py"), "-o", str(other), "--key",
                    "0ABC12DEF3456789", "--pan", "600727000000000025"], check=True,
                   capture_output=True)
    r = subprocess.run([sys.executable, str(TOOLS / "simterm.py"), "--dir", str(folder),
                        "--meter", str(other)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r.stderr
    assert "holds another meter" in r.stderr
