#!/usr/bin/env python3
"""Compile the firmware with mpy-cross and copy it to a board with mpremote.

    python tools/deploy.py --board rpi_pico|esp32_devkitc|sim --port PORT [--meter meter.json]
                           [--no-reset] [--deps]
    python tools/deploy.py --board sim [--root DIR]       # starts tools/virtual_board.py itself
    python tools/deploy.py --board rpi_pico --build-only  # only build/rpi_pico/

What goes on the board, and nothing else (tools/ stays on the host):

    firmware/lib/**.py  compiled for the board's CPU -> :lib/**.mpy, all of it (host-only
                        code lives in tools/; package.json and manifest.py follow the
                        same rule); each names its source by its module name
    firmware/main.py    as source -> :main.py (a board runs main.py from source)
    boards/<board>.py   the pin map -> :board.py; boards/<board>_*.py, the board's own
                        modules, beside it
    --meter FILE        the provisioning file -> :meter.json (the firmware seals the key on
                        its first start), on a board not provisioned yet (no state/);
                        a provisioned board keeps its state and its meter.json (a firmware
                        update), unless --reprovision
    --reprovision       wipe the board's state first (credit, TID memory, event log, key:
                        the state/ files and the journal's flash blocks), then --meter
                        FILE; asks for confirmation on a terminal, else needs --yes

Stale .py/.mpy files in the package folders on the board are removed first (a stale .py
would shadow the new .mpy). Then the board is reset (`mpremote reset`; the virtual board:
`soft-reset`, which does not run main.py) unless --no-reset. --deps also installs the
package.json dependencies from micropython-lib with `mpremote mip` (needs the internet).
Prints one line per step; on failure, one line on stderr and exit status 1.
"""

import argparse
import json
import select
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import paths
import venv_tools

ROOT = Path(paths.ROOT)
FIRMWARE = Path(paths.FIRMWARE)
FIRMWARE_LIB = Path(paths.FIRMWARE_LIB)
BOARDS_DIR = Path(paths.BOARDS)
PACKAGE_JSON = ROOT / "package.json"
VIRTUAL_BOARD = Path(paths.TOOLS) / "virtual_board.py"

# mpy-cross -march per board; "sim" is the virtual board, the x86-64 unix port
MARCH = {"rpi_pico": "armv6m", "esp32_devkitc": "xtensawin", "sim": "x64"}
STEP_TIMEOUT = 300  # s per mpremote call


class DeployError(Exception):
    pass


def step(text):
    print(text, flush=True)


def tool(name):
    try:
        return venv_tools.tool(name)
    except venv_tools.Missing as e:
        raise DeployError(str(e))


def firmware_modules(lib=FIRMWARE_LIB):
    """The board's modules: paths relative to firmware/lib, "stsmeter/sts/decoder.py",
    sorted. The one rule of what goes on a board: everything under firmware/lib (host-only
    code lives in tools/stshost); deploy, package.json and firmware/manifest.py follow it."""
    found = (p for p in lib.rglob("*.py") if "__pycache__" not in p.parts)
    return sorted(p.relative_to(lib).as_posix() for p in found)


def source_name(rel):
    """The name a compiled module gives its source in tracebacks: its module name
    ("stsmeter/jobs/acceptance.py" -> "stsmeter.jobs.acceptance"). That string is the
    module's __name__ already, interned once: a path would be one more string in the
    board's RAM for every module loaded, for good (`make bench`: the meter's heap)."""
    name = rel[:-3] if rel.endswith(".py") else rel
    if name.endswith("/__init__"):
        name = name[: -len("/__init__")]
    return name.replace("/", ".")


def package_json_text(version, deps):
    """package.json for mip as it should be for the current firmware/lib/stsmeter/."""
    urls = [[m, "firmware/lib/" + m] for m in firmware_modules() if m.startswith("stsmeter/")]
    return "{\n  \"urls\": [\n%s\n  ],\n  \"deps\": %s,\n  \"version\": %s\n}\n" % (
        ",\n".join("    " + json.dumps(u) for u in urls), json.dumps(deps), json.dumps(version))


def compile_firmware(board, build):
    """mpy-cross every module for the board into build/<board>/lib; returns that folder."""
    out_lib = build / board / "lib"
    shutil.rmtree(out_lib, ignore_errors=True)
    mpy_cross = tool("mpy-cross")
    modules = firmware_modules()
    if not modules:
        raise DeployError("no modules under %s" % FIRMWARE_LIB)
    size = 0
    for rel in modules:
        out = out_lib / (rel[:-3] + ".mpy")
        out.parent.mkdir(parents=True, exist_ok=True)
        cmd = [mpy_cross, "-march=" + MARCH[board], "-s", source_name(rel), "-o", str(out),
               str(FIRMWARE_LIB / rel)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if r.returncode:
            raise DeployError("mpy-cross %s: %s" % (rel, last_line(r.stderr + r.stdout)))
        size += out.stat().st_size
    step("compiled %d modules with mpy-cross -march=%s -> %s (%d bytes)"
         % (len(modules), MARCH[board], rel_path(out_lib), size))
    return out_lib


def last_line(text):
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def rel_path(p):
    try:
        return str(Path(p).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def prepare_script(out_lib):
    """Device code: create the lib folders, delete .py/.mpy files this deploy does not bring.

    In package folders every other module goes; in lib itself only a .py that would shadow
    one of our .mpy (other libraries, like ssd1306, live there too).
    """
    files = sorted(p.relative_to(out_lib).as_posix() for p in out_lib.rglob("*.mpy"))
    dirs = sorted({Path(f).parent.as_posix() for f in files} - {"."}, key=len)
    keep = ["lib/" + f for f in files]
    shadow = ["lib/" + f[:-4] + ".py" for f in files if "/" not in f]
    return "\n".join([
        "import os",
        "for d in %r:" % (["lib"] + ["lib/" + d for d in dirs]),
        "    try:",
        "        os.mkdir(d)",
        "    except OSError:",
        "        pass",
        "for d in %r:" % ["lib/" + d for d in dirs],
        "    for e in os.ilistdir(d):",
        "        p = d + '/' + e[0]",
        "        if e[1] != 0x4000 and p.endswith(('.py', '.mpy')) and p not in %r:" % keep,
        "            os.remove(p)",
        "            print('removed', p)",
        "for p in %r:" % shadow,
        "    try:",
        "        os.remove(p)",
        "        print('removed', p)",
        "    except OSError:",
        "        pass",
    ])


WIPES = "credit, TID memory, event log and decoder key"
KEPT = ("board already provisioned: state kept (credit, key, TID memory, event log), "
        "meter.json not changed; to re-provision use REPROVISION=1 (deploy.py "
        "--reprovision: wipes its %s)" % WIPES)
PRODUCTION_HINT = ("; a board in production mode (a `production` mark, \"production\": true "
                   "in meter.json) gives no REPL on its USB serial, so it cannot be deployed "
                   "to: decommission it first (README, Production mode)")
STATE_SCRIPT = ("import os\ntry:\n    n = len(os.listdir('state'))\nexcept OSError:\n"
                "    n = 0\nprint('state', n)\n")
# the state wiped as decommission.py wipes it (a journal's blocks, then the files), then
# meter.json: the board is as before its first provisioning
WIPE_SCRIPT = """import os, board
from stsmeter.seal import Sealer
from stsmeter.journal import BoardFiles
from stsmeter.jobs.decommission import wipe
cmac = Sealer(board.device_id()).cmac
if hasattr(board, 'flash'):
    from stsmeter.journal import Journal
    store = Journal(board.flash(), 'state', cmac)
else:
    from stsmeter.store import Store
    store = Store('state', cmac, BoardFiles())
wipe(store)
try:
    os.remove('meter.json')
except OSError:
    pass
print('wiped')
"""


def provisioned(dev):
    """True when the board has a state (state/ with files in it)."""
    out = dev.run("read the board's state", "exec", STATE_SCRIPT)
    return any(line.split() != ["state", "0"] for line in out.splitlines()
               if line.startswith("state "))


class Board:
    """mpremote calls to one port; after the first call, `resume` (no soft reset each time)."""

    def __init__(self, port):
        self.cmd = [tool("mpremote"), "connect", port]
        self.resume = False

    def run(self, what, *args, timeout=STEP_TIMEOUT):
        cmd = self.cmd + (["resume"] if self.resume else []) + list(args)
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise DeployError("%s: mpremote timed out after %d s" % (what, timeout)) from None
        if r.returncode:
            why = last_line(r.stdout + r.stderr)
            if not self.resume and "raw repl" in why.lower():
                why += PRODUCTION_HINT
            raise DeployError("%s: %s" % (what, why))
        self.resume = True
        return r.stdout


def deploy(board, port, out_lib, meter=None, reset=True, deps=(), reprovision=False):
    dev = Board(port)
    removed = dev.run("prepare :lib", "exec", prepare_script(out_lib)).split()[1::2]
    step("connected to %s; :lib ready%s" % (port, "; removed stale " + " ".join(removed)
                                            if removed else ""))
    was_provisioned = provisioned(dev)
    sources = sorted(str(p) for p in out_lib.iterdir())
    out = dev.run("copy lib", "fs", "cp", "-r", *sources, ":lib/")
    same = sum(1 for line in out.splitlines() if line.startswith("Up to date"))
    n = sum(1 for _ in out_lib.rglob("*.mpy"))
    step("copied %s -> :lib/ (%d .mpy files, %d of them unchanged)" % (rel_path(out_lib), n, same))
    main = FIRMWARE / "main.py"
    if main.exists():
        dev.run("copy main.py", "fs", "cp", str(main), ":main.py")
        step("copied %s -> :main.py" % rel_path(main))
    else:
        step("warning: %s does not exist yet, :main.py left as it is" % rel_path(main))
    for src, name in paths.board_files(board):  # its pin map as board.py, its own modules
        src = Path(src)
        if src.exists():
            dev.run("copy board module", "fs", "cp", str(src), ":" + name)
            step("copied %s -> :%s" % (rel_path(src), name))
        else:
            step("warning: %s does not exist yet, :%s left as it is" % (rel_path(src), name))
    if reprovision and was_provisioned:
        dev.run("wipe the state", "exec", WIPE_SCRIPT)
        step("RE-PROVISIONING: wiped the board's %s (state/, the journal's flash blocks) "
             "and its meter.json" % WIPES)
    if meter and was_provisioned and not reprovision:
        step(KEPT)
    elif meter:
        dev.run("copy meter file", "fs", "cp", str(meter), ":meter.json")
        step("copied %s -> :meter.json%s" % (rel_path(meter), " (a new meter from its next "
                                              "start)" if reprovision else ""))
    elif was_provisioned:
        step("board provisioned: state kept (credit, key, TID memory, event log)")
    for name, version in deps:
        spec = name if version in (None, "", "latest") else "%s@%s" % (name, version)
        dev.run("mip install " + spec, "mip", "install", spec)
        step("installed %s from micropython-lib with mpremote mip" % spec)
    if reset:
        if board == "sim":
            dev.run("soft reset", "soft-reset", timeout=60)
            step("soft reset (the virtual board does not run main.py)")
        else:
            dev.run("reset", "reset", timeout=60)
            step("reset the board: it starts boot.py and main.py")
    step("done")


def start_virtual_board(root):
    """Start tools/virtual_board.py on root; returns (process, pty path)."""
    cmd = [sys.executable, str(VIRTUAL_BOARD), "--root", str(root), "--print-port",
           "--micropython", tool("micropython")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready, _, _ = select.select([proc.stdout], [], [], 15)
    port = proc.stdout.readline().strip() if ready else ""
    if not port:
        stop(proc)
        err = proc.stderr.read() if proc.stderr else ""
        raise DeployError("the virtual board did not start: %s" % last_line(err))
    return proc, port


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def confirm_reprovision(args):
    """--reprovision says what it wipes; on a terminal it asks, else it needs --yes."""
    if not args.meter:
        raise DeployError("--reprovision needs --meter FILE (METER=...): the new meter")
    print("deploy: RE-PROVISIONING %s: this wipes the board's %s; the meter then starts as "
          "the new meter of %s" % (args.port or "the board", WIPES, args.meter), flush=True)
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise DeployError("--reprovision wipes the board's %s: confirm with --yes (YES=1)"
                          % WIPES)
    if input("type yes to wipe it: ").strip().lower() != "yes":
        raise DeployError("not confirmed: nothing done")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", required=True, choices=sorted(MARCH))
    ap.add_argument("--port", help="mpremote device (/dev/ttyACM0, COM3, a virtual board's pty)")
    ap.add_argument("--meter", type=Path, help="provisioning file copied to :meter.json")
    ap.add_argument("--no-reset", action="store_true", help="do not reset the board at the end")
    ap.add_argument("--reprovision", action="store_true",
                    help="wipe the board's state (%s), then copy --meter: a new meter" % WIPES)
    ap.add_argument("--yes", action="store_true", help="with --reprovision: do not ask")
    ap.add_argument("--deps", action="store_true",
                    help="also mip-install the package.json deps (needs the internet)")
    ap.add_argument("--root", type=Path,
                    help="sim without --port: the virtual board's folder (default: a new "
                         "temporary folder, kept)")
    ap.add_argument("--build", type=Path, default=ROOT / "build", help="build folder")
    ap.add_argument("--build-only", action="store_true", help="compile, do not deploy")
    args = ap.parse_args(argv)

    proc = None
    try:
        if args.meter:
            try:
                if not isinstance(json.loads(args.meter.read_text(encoding="utf-8")), dict):
                    raise ValueError("not a JSON object")
            except (OSError, ValueError) as e:
                raise DeployError("meter file %s: %s" % (args.meter, e)) from None
        if args.reprovision:
            confirm_reprovision(args)
        deps = ()
        if args.deps:
            deps = json.loads(PACKAGE_JSON.read_text(encoding="utf-8")).get("deps", ())
        if not args.build_only and not args.port and args.board != "sim":
            raise DeployError("--port is required for %s (see `mpremote connect list`)"
                              % args.board)
        out_lib = compile_firmware(args.board, args.build)
        if args.build_only:
            return 0
        port = args.port
        if not port:
            root = args.root or Path(tempfile.mkdtemp(prefix="stsmeter-sim-"))
            proc, port = start_virtual_board(root)
            step("started virtual board %s on %s" % (port, rel_path(root)))
        deploy(args.board, port, out_lib, args.meter, not args.no_reset, deps,
               args.reprovision)
        if proc:
            step("serve it again with: python tools/virtual_board.py --root %s" % rel_path(root))
    except DeployError as e:
        print("deploy: error: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("deploy: interrupted", file=sys.stderr)
        return 130
    finally:
        if proc:
            stop(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
