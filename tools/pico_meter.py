"""The virtual Pico's meter folder for `make sim BOARD=rpi_pico` (tools/picoterm.py): made,
its meter provisioned (the demo meter of tools/simterm.py, or the user's meter.json), the
firmware built and deployed the real way (tools/deploy.py and mpremote over the board's
USB pty), the board powered on from its flash image. picoterm is the terminal around it.

A folder holds flash.img (the board's flash), meter.json (what was deployed), tokens.txt
(shown under the display), deployed.sha256 (the firmware last deployed: deployed again
when the build differs) and build/.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import paths
import simterm  # (the demo meter and its tokens)
import virtual_pico
from virtual_pico import VirtualPico

HERE, ROOT = Path(paths.TOOLS), Path(paths.ROOT)
BOARD = "rpi_pico"
DEPLOY = HERE / "deploy.py"
PIN_MAP = Path(paths.BOARDS) / (BOARD + ".py")
MAIN_PY = Path(paths.MAIN_PY)
IMAGE, METER, TOKENS, HASH, BUILD = (
    "flash.img", "meter.json", "tokens.txt", "deployed.sha256", "build")
HOLD_MS = 80  # a person's key press
# The pause after each press, so that keys typed ahead are pressed one by one with the
# release held longer than the firmware's 40 ms debounce.
GAP_MS = 80
READY_LCD = "Credit|Cr "  # the idle screen
AGAIN = "`make sim BOARD=rpi_pico`"
RESET = "`.venv/bin/python tools/picoterm.py --reset`"


class Fail(Exception):
    """Something picoterm cannot go on from: one line, saying what to do."""


# --- the meter's folder ---

def prepare(folder, reset):
    """DIR made (Fail if it cannot be); with reset, picoterm's files in it are removed."""
    if folder.exists() and not folder.is_dir():
        raise Fail("--dir %s is a file, not a folder: give a folder (default .sim-pico/)"
                   % folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise Fail("cannot make --dir %s: %s" % (folder, e.strerror or e)) from None
    if reset:
        forget(folder)


def forget(folder):
    """Remove the meter: the flash image, the provisioning files and the build."""
    for name in (HASH, IMAGE, METER, TOKENS, simterm.OWN):
        try:
            (folder / name).unlink()
        except FileNotFoundError:
            pass
    shutil.rmtree(folder / BUILD, ignore_errors=True)


def is_new(folder):
    """True until a first deploy finished (its hash is written last)."""
    return not ((folder / HASH).exists() and (folder / IMAGE).exists())


def check_image(path):
    if path.exists() and path.stat().st_size != virtual_pico.FS_SIZE:
        raise Fail("%s is not a Pico flash image (%d bytes): %s makes a new meter"
                   % (path, path.stat().st_size, RESET))


# --- the firmware: build, hash, deploy ---

def firmware_hash(folder):
    """sha256 of the compiled modules, main.py and the pin map, as they would be deployed."""
    h = hashlib.sha256()
    lib = folder / BUILD / BOARD / "lib"
    files = [(p.relative_to(lib).as_posix(), p) for p in sorted(lib.rglob("*")) if p.is_file()]
    files += [(":main.py", MAIN_PY), (":board.py", PIN_MAP)]
    for name, path in files:
        data = path.read_bytes()
        h.update(b"%s\0%d\0" % (name.encode(), len(data)))
        h.update(data)
    return h.hexdigest()


def run_deploy(folder, *args):
    """tools/deploy.py for this board with its build in DIR/build; Fail on an error."""
    cmd = [sys.executable, str(DEPLOY), "--board", BOARD, "--build", str(folder / BUILD)]
    r = subprocess.run(cmd + list(args), capture_output=True, text=True, cwd=str(ROOT))
    if r.returncode:
        lines = [ln.strip() for ln in (r.stderr + r.stdout).splitlines() if ln.strip()]
        why = lines[-1] if lines else "exit status %d" % r.returncode
        raise Fail("%s; try %s again, or %s for a new meter" % (why, AGAIN, RESET))


def deploy(pico, folder, new):
    """The real deploy path onto the running board; returns the deployed firmware's hash."""
    print("Deploying the firmware onto the virtual Pico (%s) with tools/deploy.py and "
          "mpremote: about 20 s." % rel(folder / IMAGE), flush=True)
    meter = ["--meter", str(folder / METER)] if new else []
    run_deploy(folder, "--port", pico.port, *meter)
    return firmware_hash(folder)


def enter_used_token(pico, token):
    """Type the "already used" token once, on the keypad, and wait for its accept."""
    print("Entering the \"already used\" demo token on the keypad.", flush=True)
    for _ in range(3):  # the reset deploy asked for may come after deploy returned
        try:
            pico.wait(lcd=READY_LCD, timeout_ms=120000)
            break
        except virtual_pico.PowerOff:
            time.sleep(0.5)
    pico.type(token + "#", hold_ms=HOLD_MS, gap_ms=GAP_MS)
    pico.wait(lcd="Accept", timeout_ms=30000)


def own_meter(folder, meter, fresh):
    """simterm.own_meter for DIR, its error a Fail."""
    try:
        simterm.own_meter(str(folder), meter, fresh)
    except ValueError as e:
        raise Fail(str(e)) from None


def start(folder, meter=None):
    """The board on, running the latest firmware (deployed if it changed); returns it.
    meter: the user's meter.json, deployed on the first run instead of the demo meter."""
    new = is_new(folder)
    used = None
    if new:
        forget(folder)
        if meter:
            own_meter(folder, meter, True)
        else:
            used = simterm.demo_meter(str(folder))
    elif meter:  # (DIR holds a meter already: the same one, or refused)
        own_meter(folder, meter, False)
    check_image(folder / IMAGE)
    pico = power_on(folder / IMAGE)
    try:
        run_deploy(folder, "--build-only")  # while the board boots
        if new or firmware_hash(folder) != read_hash(folder):
            digest = deploy(pico, folder, new)
            if used:
                enter_used_token(pico, used)
            (folder / HASH).write_text(digest + "\n")
    except BaseException:
        pico.close()
        raise
    return pico


def power_on(image):
    try:
        return VirtualPico(image, stepped=False, realtime=True, serial_pty=True)
    except FileNotFoundError:
        raise Fail("node not found: install Node.js, then run `make setup`") from None


def read_hash(folder):
    try:
        return (folder / HASH).read_text().strip()
    except OSError:
        return None


def rel(path):
    """A path as the person would type it: relative to here when under here."""
    path = os.path.relpath(path)
    return os.path.abspath(path) if path.startswith("..") else path
