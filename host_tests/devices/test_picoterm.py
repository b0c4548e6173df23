"""tools/picoterm.py (`make sim BOARD=rpi_pico`) end to end, its input from a pipe: a demo
meter deployed onto the virtual Pico (tools/virtual_pico.py) by tools/deploy.py, a token
typed on its keypad, the result read from the frame picoterm prints (the LCD as the
emulator decodes it from the I2C bytes, the relay at its pin)."""

import subprocess
import sys
import time

import pytest
from conftest import TOOLS
from piped import Piped

PICOTERM = TOOLS / "picoterm.py"
FIRST_RUN_S = 240  # wall time: the first run compiles and deploys (~20-30 s) and boots


def picoterm(*args):
    return subprocess.run([sys.executable, str(PICOTERM), *map(str, args)], capture_output=True,
                          text=True, timeout=60)


def test_help_and_a_file_as_dir(tmp_path):
    r = picoterm("--help")
    assert r.returncode == 0
    assert "--dir" in r.stdout and "--reset" in r.stdout
    afile = tmp_path / "not_a_folder"
    afile.write_text("")
    r = picoterm("--dir", afile)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert len(r.stderr.splitlines()) == 1
    assert "not a folder" in r.stderr


class Picoterm(Piped):
    """picoterm with a pipe for stdin; its stdout read as it comes."""

    def __init__(self, folder, *args):
        super().__init__([sys.executable, str(PICOTERM), "--dir", str(folder), *args])

    def frames(self):
        """The frames printed so far (each ends with a blank line)."""
        return self.text().split("\n\n")[:-1]

    def wait(self, pred, deadline, what):
        while time.monotonic() < deadline:
            if any(pred(f) for f in self.frames()):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.proc.kill()
        code = self.proc.wait()
        raise AssertionError("picoterm never showed %s; exit status %s, stderr %r, output:\n%s"
                             % (what, code, self.proc.stderr.read().decode()[-500:],
                                self.out.decode(errors="replace")[-1500:]))

    def type(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def quit(self):
        """'q' (a power cut): picoterm ends with status 0."""
        self.type("q")
        assert self.proc.wait(timeout=30) == 0

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def token(folder, label):
    for line in (folder / "tokens.txt").read_text().splitlines():
        if line[26:] == label:
            return line[:24].replace(" ", "")
    raise AssertionError("no %r token in tokens.txt" % label)


def test_a_credit_token_typed_from_a_pipe(tmp_path):
    if not (TOOLS / "pico" / "node_modules" / "rp2040js").is_dir():
        pytest.fail("the Pico emulator is missing: run the tests with `make test`")
    folder = tmp_path / "pico"
    deadline = time.monotonic() + FIRST_RUN_S
    term = Picoterm(folder)
    try:
        term.wait(lambda f: "console:" in f, deadline, "its frame")
        assert (folder / "deployed.sha256").exists()
        term.type(token(folder, "25.6 kWh") + "#")  # all at once: picoterm queues the presses
        term.wait(lambda f: "|Accept 25.6 kWh |" in f and "|Credit 25.7 kWh |" in f
                  and "Relay   ON" in f, time.monotonic() + 60, "the accept and the relay on")
        term.quit()
    finally:
        term.close()
    term._reader.join(timeout=5)
    last = term.out.decode().strip().splitlines()[-1]
    assert last.startswith("Meter off (a power cut). Its flash is ")
    assert str(folder / "flash.img") in last
    assert "`make sim BOARD=rpi_pico` powers it on again" in last
    assert "tools/picoterm.py --reset` makes a new meter" in last
    assert term.proc.stderr.read() == b""


def tool(*args):
    r = subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_your_own_meter_on_the_virtual_pico(tmp_path):
    """The README's path for a new user: provision a meter, `make sim BOARD=rpi_pico
    METER=meter.json`, a token of their own typed on the keypad; the same folder refuses
    another meter."""
    if not (TOOLS / "pico" / "node_modules" / "rp2040js").is_dir():
        pytest.fail("the Pico emulator is missing: run the tests with `make test`")
    key = "1A2B3C4D5E6F7081"
    meter = tmp_path / "meter.json"
    tool(TOOLS / "provision.py", "-o", meter, "--key", key, "--pan", "600727000000000017")
    tok = tool(TOOLS / "sts.py", "generate", "--amount", "12.5", "--key", key).split()[0]
    assert len(tok) == 20 and tok.isdigit(), tok
    folder = tmp_path / "own"
    term = Picoterm(folder, "--meter", meter)
    try:
        term.wait(lambda f: "|Credit 0.0 kWh" in f, time.monotonic() + FIRST_RUN_S,
                  "the new meter's idle screen")
        assert "tools/sts.py generate" in (folder / "tokens.txt").read_text()
        term.type(tok + "#")
        term.wait(lambda f: "|Accept 12.5 kWh |" in f and "Relay   ON" in f,
                  time.monotonic() + 60, "the accept of the user's own token")
        term.quit()
    finally:
        term.close()
    other = tmp_path / "other.json"
    tool(TOOLS / "provision.py", "-o", other, "--key", "0ABC12DEF3456789", "--pan",
         "600727000000000025")
    r = picoterm("--dir", folder, "--meter", other)
    assert r.returncode == 1 and len(r.stderr.splitlines()) == 1, r.stderr
    assert "holds another meter" in r.stderr and "RESET=1" in r.stderr
