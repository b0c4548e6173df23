#!/usr/bin/env python3
"""Run the meter from a script: one command per line in, one JSON event per line out.

    .venv/bin/python tools/sim.py --meter meter.json --state DIR --script FILE|- [--runtime cpython]

The firmware runs in the MicroPython unix port (default) or in CPython through the shim;
DIR is the meter's flash and survives between runs (see tools/meter_script.py for the
commands). Exit status 0; 1 when the meter cannot start (one error event says why); 2 on
misuse (bad arguments, meter or script file unreadable), with one line on stderr, and 2
when the script had bad lines (each answered with an error event, the script going on;
then one line on stderr at the end).
"""

import os
import subprocess
import sys

import cli
import paths
import venv_tools

HERE = paths.TOOLS


def command(runtime, meter, state):
    script = os.path.join(HERE, "meter_script.py")
    if runtime == "cpython":
        return [sys.executable, script, meter, state], None
    try:
        exe = venv_tools.tool("micropython")
    except venv_tools.Missing as e:
        cli.fail(e)
    return [exe, script, meter, state], dict(os.environ, MICROPYPATH=paths.micropython_path())


def main(argv=None):
    p = cli.Parser(prog="sim.py", description=__doc__.split("\n")[0],
                   epilog="Exit status: 0; 1 the meter cannot start; 2 misuse, or bad "
                   "script lines.")
    p.add_argument("--meter", required=True, help="the provisioning file (meter.json)")
    p.add_argument("--state", required=True, help="folder for the meter's state")
    p.add_argument("--script", required=True, help="command file, - for stdin")
    p.add_argument("--runtime", default="micropython", choices=["micropython", "cpython"])
    args = p.parse_args(argv)
    if not os.path.isfile(args.meter):
        cli.fail("no meter file %s: make one with tools/provision.py" % args.meter)
    cmd, env = command(args.runtime, os.path.abspath(args.meter), os.path.abspath(args.state))
    try:
        stdin = sys.stdin if args.script == "-" else open(args.script, "rb")
    except OSError as e:
        cli.fail("cannot read the script %s: %s: give a file of commands, or - for stdin"
                 % (args.script, e.strerror or e))
    if os.path.exists(args.state) and not os.path.isdir(args.state):
        cli.fail("--state %s is a file: give a folder (it is made if missing)" % args.state)
    try:
        return subprocess.run(cmd, stdin=stdin, env=env).returncode
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
