#!/usr/bin/env python3
"""STS token tool: decode, generate (vending side) and derive decoder keys.

    sts.py decode 29054347139309851356 --key 0ABC12DEF3456789 --alg sta --base-date 1993
    sts.py decode --batch requests.jsonl [--runtime micropython]
    sts.py generate --type electricity_credit --amount 25.6 --key ... --alg sta
    sts.py keygen --dkga 04 --vending-key ... --kt 2 --sgc 123457 --ti 01 --krn 1 --pan ...

decode and generate run the firmware's own codec (firmware/lib/stsmeter), in this
process or, with --runtime micropython, inside the MicroPython unix port. Exit status:
0 done, 1 token rejected (decode prints {"error": ..., "detail": ...}), 2 misuse.
"""

import json
import os
import secrets
import subprocess
import sys
import time

import cli  # one-line errors, also for a Python without the packages
import paths
import sts_requests
import venv_tools
from stshost.describe import TYPES

HERE = paths.TOOLS

GENERATE_TYPES = [name for names in TYPES for name in names] + ["key_change"]


fail = cli.fail
Parser = cli.Parser  # an error is one line, exit 2
ALG_OF_KEY = {16: "sta", 32: "misty1"}  # hex digits -> the algorithm of such a key


def check_key(key, alg, option="--key"):
    """Refuse a key of the other algorithm's size, saying which --alg it needs."""
    if key is not None and len(key) in ALG_OF_KEY and ALG_OF_KEY[len(key)] != alg:
        fail("%s is %d hex digits: that is %s key, use --alg %s" % (
            option, len(key), "an STA (EA07)" if len(key) == 16 else "a MISTY1 (EA11)",
            ALG_OF_KEY[len(key)]))


def as_options(detail):
    """A request error in the words of the command line: "missing amount" ->
    "--amount is required"."""
    if detail.startswith("missing "):
        name = detail.split()[1].rstrip(":")
        return "--%s is required%s" % (name.replace("_", "-"), detail[8 + len(name):])
    return detail


def micropython_path():
    try:
        return venv_tools.tool("micropython")
    except venv_tools.Missing as e:
        fail(str(e))


def answer_lines(lines, runtime):
    """Answer request lines (JSON text) in the chosen runtime; yields answer lines."""
    if runtime == "cpython":
        for line in lines:
            if line.strip():
                yield sts_requests.answer_line(line)
        return
    env = dict(os.environ, MICROPYPATH=paths.micropython_path())
    proc = subprocess.run([micropython_path(), os.path.join(HERE, "sts_requests.py")],
                          input="".join(line if line.endswith("\n") else line + "\n"
                                        for line in lines),
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        fail("MicroPython failed: %s" % proc.stderr.strip().splitlines()[-1:])
    yield from proc.stdout.splitlines()


def one(request, runtime):
    """Answer one request; print it; misuse (a request error) exits 2."""
    line = next(answer_lines([json.dumps(request)], runtime))
    answer = json.loads(line)
    if answer.get("error") == "request":
        fail(as_options(answer["detail"]))
    print(line)
    return answer


def cmd_decode(args):
    if args.batch:
        if args.token is not None:
            fail("a TOKEN and --batch both given: give one or the other")
        try:
            stream = sys.stdin if args.batch == "-" else open(args.batch)
            requests = list(stream)
        except (OSError, UnicodeError) as e:
            fail("cannot read the batch file %s: %s: give a file of JSON lines, or - for "
                 "stdin" % (args.batch, getattr(e, "strerror", None) or e))
        rejected = 0
        for line in answer_lines(requests, args.runtime):
            print(line)
            rejected += "error" in json.loads(line)
        return 1 if rejected else 0
    if args.token is None:
        fail("give a TOKEN or --batch FILE")
    check_key(args.key, args.alg)
    request = {"token": args.token, "alg": args.alg, "base_date": args.base_date}
    if args.key is not None:
        request["key"] = args.key
    return 1 if "error" in one(request, args.runtime) else 0


def cmd_generate(args):
    request = {"op": "generate", "type": args.type, "key": args.key, "alg": args.alg,
               "base_date": args.base_date}
    if args.type_class is not None:
        del request["type"]
        request.update({"class": args.type_class, "subclass": args.subclass})
    check_key(args.key, args.alg)
    check_key(args.new_key, args.alg, "--new-key")
    if args.tid is not None and args.issued is not None:
        fail("--tid and --issued both given: give the issue time one way only")
    if args.tid is not None:
        request["tid"] = args.tid
    else:
        request["issued"] = issued(args.issued, args.base_date)
    request["rnd"] = args.rnd if args.rnd is not None else secrets.randbelow(16)
    for name in ("key_ken", "amount", "limit_w", "register", "rate", "pad", "factor", "control",
                 "mfr_code", "new_key", "ken", "krn", "kt", "ro", "res", "ti", "sgc"):
        value = getattr(args, name)
        if value is not None:
            request[name] = value
    line = next(answer_lines([json.dumps(request)], args.runtime))
    answer = json.loads(line)
    if "error" in answer:
        fail(as_options(answer["detail"]))
    for token in answer.get("tokens", [answer.get("token")]):
        print(token)
    return 0


def issued(text, base_year):
    """--issued as the codec takes it: YYYY-MM-DD[THH:MM[:SS]][Z], a real UTC time within
    what a TID of the base date can carry (default: now); else one line, exit 2."""
    from stsmeter.jobs import tid

    if text is None:
        return time.strftime("%Y-%m-%dT%H:%M", time.gmtime())
    full = text[:-1] if text.endswith("Z") else text
    if len(full) == 10:
        full += "T00:00"
    try:
        y, mo, d, h, mi, _ = tid.parse_iso(full)
    except ValueError:
        fail("--issued %s is not a real date and time: give YYYY-MM-DD, YYYY-MM-DDTHH:MM "
             "or YYYY-MM-DDTHH:MM:SS (UTC, optional Z)" % text)
    t = tid.from_datetime(base_year, y, mo, d, h, mi)
    if not 0 <= t <= tid.MAX:
        fail("--issued %s is outside what a token of base date %d can carry (%s .. %s): "
             "use another --base-date" % (text, base_year, tid.iso(base_year, 0),
                                          tid.iso(base_year, tid.MAX)))
    return full


def cmd_keygen(args):
    import dkga

    try:
        pan = args.pan or dkga.make_pan(args.iin, args.iain)
        vk = bytes.fromhex(args.vending_key)
        if args.dkga == "02":
            if args.alg != "sta":
                fail("DKGA02 makes 64-bit keys: EA07 (sta) only")
            key = dkga.dkga02(vk, args.kt, args.sgc, args.ti, args.krn, pan)
        else:
            ea = sts_requests.ALGS[args.alg]
            key = dkga.dkga04(vk, args.base_date, ea, args.ti, args.sgc, args.kt, args.krn, pan)
    except (ValueError, TypeError) as e:
        fail(str(e))
    print(key.hex().upper())
    return 0


def build_parser():
    p = Parser(prog="sts.py", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    def common(sp):
        sp.add_argument("--key", help="decoder key, hex, standard order (required but to "
                        "decode a class 1 test token)")
        sp.add_argument("--alg", default="sta", choices=["sta", "misty1"],
                        help="sta = EA07 (64-bit key), misty1 = EA11 (128-bit key)")
        sp.add_argument("--base-date", type=int, default=2014, choices=[1993, 2014, 2035],
                        help="TID base date (default 2014)")
        sp.add_argument("--runtime", default="cpython", choices=["cpython", "micropython"],
                        help="run the codec here or in the MicroPython unix port")

    d = sub.add_parser("decode", help="decode a token, print its fields as JSON")
    d.add_argument("token", nargs="?", help="20 digits")
    d.add_argument("--batch", metavar="FILE", help='JSON lines {"token","key","alg",'
                   '"base_date"}, "-" for stdin; one answer line each')
    common(d)
    d.set_defaults(func=cmd_decode)

    g = sub.add_parser("generate", help="make a token (vending side)")
    g.add_argument("--type", default="electricity_credit", choices=GENERATE_TYPES,
                   help="token type; key_change makes every section of a set")
    g.add_argument("--class", dest="type_class", type=int, choices=[0, 1, 2],
                   help="instead of --type: class and --subclass")
    g.add_argument("--subclass", type=int, default=0)
    g.add_argument("--tid", type=int, help="TID in minutes (else --issued)")
    g.add_argument("--issued", help="issue time, UTC: YYYY-MM-DD, YYYY-MM-DDTHH:MM or "
                   "YYYY-MM-DDTHH:MM:SS, optional Z (default now)")
    g.add_argument("--rnd", type=int, help="random number 0..15 (default random)")
    g.add_argument("--key-ken", type=int, help="the key's expiry number: refuse a TID "
                   "beyond it (default 255, never)")
    g.add_argument("--amount", help="credit in the type's units (kWh, m3, min, currency)")
    g.add_argument("--limit-w", type=int, help="power limit in W (max_power_limit, "
                   "max_phase_power_unbalance_limit)")
    g.add_argument("--register", help="clear_credit register: all, electricity, water, "
                   "gas, time, ... or a number")
    g.add_argument("--rate", type=int, help="tariff_rate field (raw 16 bits)")
    g.add_argument("--pad", type=int, help="clear_tamper pad (default 0)")
    g.add_argument("--factor", type=int, help="water_meter_factor field (raw 16 bits)")
    g.add_argument("--control", type=lambda s: int(s, 0), help="class 1 control bits")
    g.add_argument("--mfr-code", type=int, help="class 1 manufacturer code")
    g.add_argument("--new-key", help="key change: the new decoder key, hex")
    g.add_argument("--ken", type=int, help="key change: key expiry number (default 255)")
    g.add_argument("--krn", type=int, help="key change: new key revision number")
    g.add_argument("--kt", type=int, help="key change: new key type 0..3")
    g.add_argument("--ro", type=int, help="key change: rollover flag 0/1")
    g.add_argument("--res", type=int, help="key change: bit 50 (3KCT/reserved)")
    g.add_argument("--ti", type=int, help="key change: new tariff index")
    g.add_argument("--sgc", type=int, help="key change (128-bit): new supply group code")
    common(g)
    g.set_defaults(func=cmd_generate)

    k = sub.add_parser("keygen", help="derive a decoder key (DKGA02 or DKGA04)")
    k.add_argument("--dkga", required=True, choices=["02", "04"])
    k.add_argument("--vending-key", required=True, help="hex: 16 digits (02), 40 (04)")
    k.add_argument("--kt", type=int, required=True, help="key type 0..3")
    k.add_argument("--sgc", required=True, help="supply group code, 6 digits")
    k.add_argument("--ti", required=True, help="tariff index, 2 digits")
    k.add_argument("--krn", type=int, required=True, help="key revision number 1..9")
    k.add_argument("--pan", help="meter PAN, 18 digits (else --iin and --iain)")
    k.add_argument("--iin", help="600727 or 0000")
    k.add_argument("--iain", help="IAIN/DRN digits (11 after 600727, 13 after 0000)")
    k.add_argument("--alg", default="sta", choices=["sta", "misty1"])
    k.add_argument("--base-date", type=int, default=2014, choices=[1993, 2014, 2035])
    k.set_defaults(func=cmd_keygen)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == "keygen" and not args.pan and not (args.iin and args.iain):
        fail("give --pan, or --iin and --iain")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
