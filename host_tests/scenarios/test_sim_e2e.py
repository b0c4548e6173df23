"""End to end: `make sim`'s firmware (firmware/main.py on the MicroPython unix port with
boards/sim.py) driven through its keyboard input, read from the screen it draws."""

import sys
import time

import pytest
from conftest import TOOLS
from piped import Piped

ESC_CLEAR = "\x1b[H\x1b[2J"


class Sim(Piped):
    def __init__(self, folder):
        super().__init__([sys.executable, str(TOOLS / "simterm.py"), "--dir", str(folder)])

    def frame(self):
        text = self.text()
        return text.rsplit(ESC_CLEAR, 1)[-1] if ESC_CLEAR in text else ""

    def lcd(self):
        rows = [ln for ln in self.frame().split("\r\n") if ln.startswith("|")]
        return [r[1:17].strip() for r in rows[:2]]

    def wait(self, pred, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            if pred():
                return True
            time.sleep(0.05)
        raise AssertionError("screen never matched; last frame:\n" + self.frame())

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
        out[line[24:].strip()] = digits
    return out


def test_first_run_provisions_and_accepts_and_rejects(sim_dir):
    sim = Sim(sim_dir)
    try:
        sim.wait(lambda: sim.lcd() and sim.lcd()[0].startswith("Credit"))
        t = tokens(sim_dir)
        assert len(t) >= 8 and "10 kWh" in t
        assert "Credit 1.0 kWh" in sim.lcd()[0]  # the "already used" token went in
        sim.keys(t["10 kWh"][:8])
        sim.wait(lambda: sim.lcd() == [t["10 kWh"][:4] + " " + t["10 kWh"][4:8], "(8)"])
        sim.keys(t["10 kWh"][8:] + "\r")
        sim.wait(lambda: sim.lcd()[0] == "Accept 10.0 kWh")
        sim.keys(t["already used: Used"] + "\r")
        sim.wait(lambda: sim.lcd()[0] == "Used")
        sim.keys(t["another meter's: Reject"] + "#")
        sim.wait(lambda: sim.lcd() == ["Reject", "CRC error"])
        sim.keys("12\x7f\x7f0\r")  # Backspace twice, then short code 0
        sim.wait(lambda: sim.lcd() == ["Credit", "11.0 kWh"])
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
        again.wait(lambda: again.lcd() and again.lcd()[0] == "Credit 26.6 kWh")
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
