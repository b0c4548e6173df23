"""Deployment: the virtual board behind a pty, tools/deploy.py, and package.json for mip.

Everything runs against tools/virtual_board.py (the MicroPython unix port behind a pty),
so no hardware and no internet are needed. Every process is started with a timeout and
stopped by a finalizer, also when a test fails.
"""

import ast
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIRMWARE_LIB, ROOT, TOOLS, micropython_exe

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the virtual board needs a pty")

import deploy  # noqa: E402  (tools/ is on sys.path via conftest)

TIMEOUT = 60  # s for any one command
DECODE = ('from stsmeter.sts.decoder import Decoder, make_cipher\n'
          'd = Decoder(make_cipher("07", bytes.fromhex("0abc12def3456789")))\n'
          't = d.decode(b"29054347139309851356")\n'
          'print(t.error, t.amount)')


def run(cmd, timeout=TIMEOUT, **kw):
    """subprocess.run in its own process group, all of it killed on timeout."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **kw)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


stop = deploy.stop  # terminate, then kill after 5 s


class VirtualBoard:
    def __init__(self, root):
        self.root = root
        cmd = [sys.executable, str(TOOLS / "virtual_board.py"), "--root", str(root),
               "--print-port", "--micropython", micropython_exe()]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 15)
        self.port = self.proc.stdout.readline().strip() if ready else ""
        if not self.port:
            stop(self.proc)
            pytest.fail("virtual board did not start: %s" % self.proc.stderr.read())

    def mpremote(self, *args, timeout=TIMEOUT, check=True):
        r = run([sys.executable, "-m", "mpremote", "connect", self.port, *args], timeout)
        if check:
            assert r.returncode == 0, "mpremote %s: %s%s" % (args, r.stdout, r.stderr)
        return r

    def stop(self):
        stop(self.proc)
        assert self.proc.returncode == 0, self.proc.stderr.read()


@pytest.fixture
def board(tmp_path):
    b = VirtualBoard(tmp_path / "board")
    yield b
    b.stop()


def test_exec_and_filesystem(board, tmp_path):
    assert board.mpremote("exec", "print(1+1)").stdout.strip() == "2"
    src = tmp_path / "hello.txt"
    src.write_text("hello board\n")
    r = board.mpremote("fs", "cp", str(src), ":hello.txt", "+", "fs", "cat", ":hello.txt")
    assert "hello board" in r.stdout
    assert (board.root / "hello.txt").read_text() == "hello board\n"
    board.mpremote("fs", "mkdir", ":lib", "+", "fs", "cp", str(src), ":lib/x.txt")
    assert "x.txt" in board.mpremote("fs", "ls", ":lib").stdout  # sizes show as 0 on unix
    board.mpremote("fs", "rm", ":lib/x.txt", "+", "fs", "rmdir", ":lib")
    assert not (board.root / "lib").exists()
    # the board's cwd is its root, /lib comes before it on the path, as on a board, and
    # the frozen modules (asyncio) are there too
    r = board.mpremote("exec", "import os, sys; print(os.getcwd()); print(sys.path)")
    cwd, path = r.stdout.splitlines()
    assert cwd == str(board.root)
    assert ast.literal_eval(path)[1:] == [str(board.root / "lib"), str(board.root), ".frozen"]


def test_soft_reset_starts_a_fresh_process(board):
    board.mpremote("exec", "x = 41")
    assert board.mpremote("resume", "exec", "print(x + 1)").stdout.strip() == "42"
    board.mpremote("soft-reset")
    assert board.mpremote("resume", "exec", "print('x' in globals())").stdout.strip() == "False"
    # mpremote soft-resets before exec (no `resume`): the bridge restarts the process
    r = board.mpremote("exec", "y = 1", "+", "soft-reset", "+", "exec", "print('y' in globals())")
    assert r.stdout.strip() == "False"
    r = board.mpremote("exec", "import sys; sys.exit()", "+", "resume", "exec", "print(7)")
    assert r.stdout.strip() == "7"


def test_ctrl_c_interrupts_code_started_by_mpremote(board, tmp_path):
    loop = tmp_path / "loop.py"
    loop.write_text("n = 0\nwhile True:\n    n += 1\n")
    board.mpremote("run", "--no-follow", str(loop))
    # the next mpremote sends Ctrl-C: the bridge turns it into SIGINT, the state is kept
    r = board.mpremote("resume", "exec", "print(n > 0)")
    assert r.stdout.strip() == "True"
    # an mpremote that is killed leaves the code running, as on a board
    proc = subprocess.Popen([sys.executable, "-m", "mpremote", "connect", board.port, "exec",
                             "import time\nwhile True: time.sleep_ms(10)"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(2)
    finally:
        proc.kill()
        proc.wait()
    assert board.mpremote("exec", "print('alive')").stdout.strip() == "alive"


def deploy_cmd(*args):
    return [sys.executable, str(TOOLS / "deploy.py"), *map(str, args)]


def check_deployed(root, build):
    modules = deploy.firmware_modules()
    on_board = sorted(p.relative_to(root / "lib").as_posix()
                      for p in (root / "lib").rglob("*") if p.is_file())
    assert on_board == [m[:-3] + ".mpy" for m in modules]
    assert sorted(p.relative_to(build / "sim" / "lib").as_posix()
                  for p in (build / "sim" / "lib").rglob("*.mpy")) == on_board
    for src, dest in ((ROOT / "firmware" / "main.py", root / "main.py"),
                      (ROOT / "boards" / "sim.py", root / "board.py")):
        if src.exists():
            assert dest.read_bytes() == src.read_bytes()
        else:
            assert not dest.exists()


def test_deploy_to_a_running_virtual_board(board, tmp_path):
    meter = tmp_path / "meter.json"
    meter.write_text(json.dumps({"decoder_key": "0ABC12DEF3456789", "ea": "07"}))
    # a stale module from an earlier install would shadow the new .mpy: it goes
    (board.root / "lib" / "stsmeter").mkdir(parents=True)
    (board.root / "lib" / "stsmeter" / "decoder.py").write_text("raise ImportError\n")
    build = tmp_path / "build"
    r = run(deploy_cmd("--board", "sim", "--port", board.port, "--meter", meter,
                       "--build", build), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "removed stale lib/stsmeter/decoder.py" in r.stdout
    assert "soft reset" in r.stdout
    check_deployed(board.root, build)
    assert (board.root / "meter.json").read_text() == meter.read_text()
    assert board.mpremote("exec", DECODE).stdout.strip() == "None 256"
    # a second deploy copies nothing that did not change
    r = run(deploy_cmd("--board", "sim", "--port", board.port, "--no-reset", "--build", build),
            timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    counts = re.search(r"\((\d+) \.mpy files, (\d+) of them unchanged\)", r.stdout)
    assert counts, r.stdout
    total, same = map(int, counts.groups())
    assert total == len(deploy.firmware_modules())
    assert same >= total - 2  # all, unless someone edits the firmware while the tests run
    assert "soft reset" not in r.stdout


def test_deploy_starts_its_own_virtual_board(tmp_path):
    root, build = tmp_path / "root", tmp_path / "build"
    r = run(deploy_cmd("--board", "sim", "--root", root, "--build", build), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "started virtual board" in r.stdout
    assert r.stdout.splitlines()[-2].startswith("done")
    check_deployed(root, build)
    assert not (root / "meter.json").exists()
    b = VirtualBoard(root)  # the deployed folder serves again
    try:
        assert b.mpremote("exec", DECODE).stdout.strip() == "None 256"
    finally:
        b.stop()


def test_deploy_a_real_board_layout(board, tmp_path):
    # plain-bytecode .mpy files carry no architecture, so the Pico build runs here too
    r = run(deploy_cmd("--board", "rpi_pico", "--port", board.port, "--no-reset",
                       "--build", tmp_path), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "-march=armv6m" in r.stdout
    pins = ROOT / "boards" / "rpi_pico.py"
    if pins.exists():
        assert (board.root / "board.py").read_bytes() == pins.read_bytes()
    else:
        assert "rpi_pico.py does not exist yet" in r.stdout
    assert board.mpremote("exec", DECODE).stdout.strip() == "None 256"


@pytest.mark.parametrize("board_name", ["rpi_pico", "esp32_devkitc"])
def test_build_for_a_real_board(board_name, tmp_path):
    r = run(deploy_cmd("--board", board_name, "--build-only", "--build", tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "-march=%s" % deploy.MARCH[board_name] in r.stdout
    built = sorted(p.relative_to(tmp_path / board_name / "lib").as_posix()
                   for p in (tmp_path / board_name / "lib").rglob("*.mpy"))
    assert built == [m[:-3] + ".mpy" for m in deploy.firmware_modules()]
    assert all(p.read_bytes()[:2] == b"M\x06" for p in tmp_path.rglob("*.mpy"))  # mpy v6


def test_deploy_errors_are_one_line(tmp_path):
    r = run(deploy_cmd("--board", "rpi_pico", "--build", tmp_path))
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == ["deploy: error: --port is required for rpi_pico "
                                             "(see `mpremote connect list`)"]
    r = run(deploy_cmd("--board", "sim", "--meter", tmp_path / "missing.json"))
    assert r.returncode == 1 and r.stderr.startswith("deploy: error: meter file")
    assert len(r.stderr.strip().splitlines()) == 1
    r = run(deploy_cmd("--board", "sim", "--port", tmp_path / "no-such-port", "--build",
                       tmp_path))
    assert r.returncode == 1
    assert r.stderr.startswith("deploy: error: prepare :lib: ")
    assert len(r.stderr.strip().splitlines()) == 1


def test_one_rule_decides_what_goes_on_a_board(tmp_path):
    """Everything under firmware/lib, subpackages included, and nothing else: deploy copies
    it, manifest.py freezes the package folder, package.json lists it (test below)."""
    pkg = tmp_path / "lib" / "pkg"
    (pkg / "sub").mkdir(parents=True)
    for name in ("pkg/__init__.py", "pkg/plain.py", "pkg/sub/__init__.py", "pkg/sub/deep.py"):
        (tmp_path / "lib" / name).write_text("X = 1\n")
    (pkg / "notes.txt").write_text("not a module\n")
    assert deploy.firmware_modules(tmp_path / "lib") == [
        "pkg/__init__.py", "pkg/plain.py", "pkg/sub/__init__.py", "pkg/sub/deep.py"]
    real = deploy.firmware_modules()
    assert "stsmeter/meter.py" in real and "stsmeter/sts/decoder.py" in real
    manifest = (ROOT / "firmware" / "manifest.py").read_text()
    assert 'package("stsmeter", base_path="lib"' in manifest


def test_a_compiled_module_names_its_source_by_its_module_name():
    """No path string per module in a board's RAM: the module's name, interned already."""
    assert deploy.source_name("stsmeter/jobs/acceptance.py") == "stsmeter.jobs.acceptance"
    assert deploy.source_name("stsmeter/sts/__init__.py") == "stsmeter.sts"
    assert deploy.source_name("stsmeter/__init__.py") == "stsmeter"


def test_no_host_only_code_in_the_firmware():
    """Host-only code (token descriptions, vending, reports, the PC's terminal) lives with
    the host tools: no firmware module imports it or the shim."""
    for rel in deploy.firmware_modules():
        text = (FIRMWARE_LIB / rel).read_text()
        for host_only in ("stshost", "sim_terminal", "mpshim", "import paths"):
            assert host_only not in text, (rel, host_only)


def test_mip_installs_the_package_from_a_clone(board, tmp_path):
    # a clone whose package.json has no deps: ssd1306 would come from the internet
    clone = tmp_path / "clone"
    shutil.copytree(FIRMWARE_LIB / "stsmeter", clone / "firmware" / "lib" / "stsmeter")
    package = json.loads((ROOT / "package.json").read_text())
    package["deps"] = []
    (clone / "package.json").write_text(json.dumps(package))
    board.mpremote("mip", "install", "--target", "lib", str(clone / "package.json"))
    lib = board.root / "lib"
    installed = sorted(p.relative_to(lib).as_posix() for p in lib.rglob("*.py"))
    assert installed == sorted(dest for dest, _ in package["urls"])
    assert board.mpremote("exec", DECODE).stdout.strip() == "None 256"


def test_package_json_lists_every_firmware_file():
    package = json.loads((ROOT / "package.json").read_text())
    expected = [[m, "firmware/lib/" + m] for m in deploy.firmware_modules()
                if m.startswith("stsmeter/")]
    assert package["urls"] == expected, (
        "package.json is stale; its urls should be:\n"
        + deploy.package_json_text(package.get("version"), package.get("deps")))
    for _, src in package["urls"]:
        assert (ROOT / src).is_file()
    assert [name for name, _ in package["deps"]] == ["ssd1306"]
    assert isinstance(package["version"], str) and package["version"]
    init = FIRMWARE_LIB / "stsmeter" / "__init__.py"
    tree = ast.parse(init.read_text()) if init.exists() else ast.Module(body=[])
    for node in tree.body:  # the package's __version__, if it has one, is the same
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] \
                == ["__version__"]:
            assert package["version"] == node.value.value


def test_deployed_firmware_provisions_and_seals_the_key(board, tmp_path):
    """After deploy, the firmware on the (virtual) board takes meter.json: it makes its
    state, seals the key into it and drops the key from meter.json, then takes tokens."""
    meter = tmp_path / "meter.json"
    meter.write_text(json.dumps({
        "decoder_key": "0ABC12DEF3456789", "ea": "07", "base_date": 1993, "key_type": 2,
        "krn": 1, "ti": "01", "sgc": "123456", "ken": 255, "pan": "600727000000000009",
        "mfr_code": "07", "provisioned_at": "1996-03-01T00:00:00Z"}))
    r = run(deploy_cmd("--board", "sim", "--port", board.port, "--meter", meter,
                       "--build", tmp_path / "build"), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    code = ("import board, json\n"
            "from stsmeter import app\n"
            "f = app.Firmware(board, board.devices())\n"
            "for k in '29054347139309851356#': f.meter.press(k)\n"
            "print(f.meter.credit.wh, f.meter.relay_closed, f.meter.screen()[0])\n"
            "print('decoder_key' in json.load(open('meter.json')))\n")
    out = board.mpremote("exec", code).stdout.split()
    assert out[:2] == ["25600", "True"] and " ".join(out[2:5]) == "Accept 25.6 kWh"
    assert out[-1] == "False"
    assert (board.root / "state" / "state.a").exists()
    assert b"0ABC12DE" not in (board.root / "meter.json").read_bytes().upper()
    # the README's way to read the event log from a board
    log = board.mpremote("run", str(TOOLS / "board_event_log.py")).stdout.splitlines()
    kinds = [line.split()[1] for line in log]
    assert kinds[:2] == ["power_on", "token"] and "power_on" in kinds[2:], log  # (its own)
    assert log[1].split()[2:] == ["0", "256"]  # result 0 (accept), 25.6 kWh in 0.1 kWh


TOKEN_1996 = "29054347139309851356"  # 25.6 kWh for key 0ABC12DEF3456789, base date 1993
OTHER_KEY = "1122334455667788"


def token_1996(key, kwh):
    import sts_requests

    return sts_requests.answer({"op": "generate", "type": "electricity_credit", "key": key,
                                "alg": "sta", "issued": "1996-03-02T00:00", "rnd": 1,
                                "amount": str(kwh), "base_date": 1993})["token"]


FIRMWARE_RUN = ("import board, json\n"
                "from stsmeter import app\n"
                "f = app.Firmware(board, board.devices())\n"
                "for k in '%s#': f.meter.press(k)\n"
                "r = f.meter.screen()[0].split()[0]\n"
                "for k in '4#': f.meter.press(k)\n"  # the short code: S<SGC> on line 2
                "print(f.meter.credit.wh, f.meter.screen()[1].split()[0][1:], r)\n")


def test_update_keeps_the_state_and_reprovision_wipes_it(board, tmp_path):
    """make deploy to a provisioned board is a firmware update: its state and meter.json
    stay, a different meter.json is not copied (and it says so); --reprovision wipes the
    state (after a confirmation) and the board starts as the new meter."""
    old = tmp_path / "old.json"
    old.write_text(json.dumps({
        "decoder_key": "0ABC12DEF3456789", "ea": "07", "base_date": 1993, "key_type": 2,
        "krn": 1, "ti": "01", "sgc": "123456", "ken": 255, "pan": "600727000000000009",
        "mfr_code": "07", "provisioned_at": "1996-03-01T00:00:00Z"}))
    new = tmp_path / "new.json"
    new.write_text(json.dumps(dict(json.loads(old.read_text()), decoder_key=OTHER_KEY,
                                   sgc="654321")))
    build = tmp_path / "build"
    r = run(deploy_cmd("--board", "sim", "--port", board.port, "--meter", old, "--build",
                       build), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    out = board.mpremote("exec", FIRMWARE_RUN % TOKEN_1996).stdout.split()
    assert out == ["25600", "123456", "Accept"]
    kept = (board.root / "meter.json").read_text()
    # the firmware update: state kept, the new meter.json not copied
    r = run(deploy_cmd("--board", "sim", "--port", board.port, "--meter", new, "--build",
                       build), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "board already provisioned: state kept" in r.stdout
    assert "REPROVISION=1" in r.stdout and "wipes" in r.stdout
    assert (board.root / "meter.json").read_text() == kept
    out = board.mpremote("exec", FIRMWARE_RUN % TOKEN_1996).stdout.split()
    assert out[:2] == ["25600", "123456"] and out[2] == "Used"  # credit kept, TID too
    # re-provisioning: refused without a confirmation (no terminal here)
    r = run(deploy_cmd("--board", "sim", "--port", board.port, "--meter", new, "--build",
                       build, "--reprovision"), timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 1 and "--yes" in r.stderr
    assert "credit, TID memory, event log and decoder key" in r.stdout + r.stderr
    assert (board.root / "state").is_dir()
    r = run(["make", "-n", "deploy", "BOARD=sim", "PORT=" + board.port, "METER=" + str(new),
             "REPROVISION=1", "YES=1"], cwd=ROOT)
    assert "--reprovision --yes" in r.stdout  # make deploy ... REPROVISION=1 YES=1
    r = run(deploy_cmd("--board", "sim", "--port", board.port, "--meter", new, "--build",
                       build, "--reprovision", "--yes"), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "RE-PROVISIONING" in r.stdout and "wiped" in r.stdout
    assert json.loads((board.root / "meter.json").read_text())["sgc"] == "654321"
    out = board.mpremote("exec", FIRMWARE_RUN % TOKEN_1996).stdout.split()
    assert out[:2] == ["0", "654321"] and out[2] == "Reject"  # the old key's token
    out = board.mpremote("exec", FIRMWARE_RUN % token_1996(OTHER_KEY, 3)).stdout.split()
    assert out[:3] == ["3000", "654321", "Accept"]  # the new key's, credit from 0
