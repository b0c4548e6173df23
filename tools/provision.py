#!/usr/bin/env python3
"""Write a meter provisioning file (meter.json) from a decoder key or the vending inputs.

    provision.py -o meter.json --key 0ABC12DEF3456789 --ea 07 --kt 2 --krn 1 --ti 01 \\
        --sgc 123456 --pan 600727000000000009 --mfr-code 07
    provision.py -o meter.json --dkga 04 --vending-key <40 hex> --ea 07 --kt 2 ... (derives
        the key exactly as `tools/sts.py keygen` does)

The meter seals the key into its state on first start; on a board, deploy removes the
key from the copy it keeps. Required: -o, --pan (or --iin and --iain), and --key or
--dkga with --vending-key. Every other field has a default (--help shows it), and the
defaults used are named in one line on stderr. Exit status 2 on misuse, with one line
on stderr.
"""

import json
import sys
import time

import cli  # noqa: F401  (one-line errors, also for a Python without the packages)
import dkga
import paths
from stsmeter.config import Config
from stsmeter.jobs.meterjson import SETTINGS

HERE = paths.TOOLS


fail = cli.fail

# the fields a meter.json needs that most users need not choose (a demo meter's values)
DEFAULTS = {"ea": "07", "base_date": 2014, "kt": 2, "krn": 1, "ti": "01", "sgc": "123456",
            "ken": 255, "mfr_code": "99"}


def option(name):
    return "--" + name.replace("_", "-")


def fill_defaults(args):
    """Set the fields not given to their defaults; returns them, as options."""
    used = []
    for name, value in DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
            used.append("%s %s" % (option(name), value))
    if args.provisioned_at is None:
        args.provisioned_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        used.append("--provisioned-at %s (now)" % args.provisioned_at)
    return used


def check_options(args):
    """Refuse options that contradict each other, or a missing required one (one line)."""
    if args.pan and (args.iin or args.iain):
        fail("--pan and --iin/--iain both given: give the PAN one way only")
    if not args.pan and not (args.iin and args.iain):
        fail("--pan is required (18 digits), or --iin with --iain")
    if args.key and args.vending_key:
        fail("--key and --vending-key both given: --vending-key goes with --dkga; "
             "give the decoder key (--key) or derive it (--dkga, --vending-key)")
    if args.dkga and not args.vending_key:
        fail("--dkga needs --vending-key (hex: 16 digits for 02, 40 for 04)")
    if args.vending_key and not args.dkga:
        fail("--vending-key needs --dkga 02 or 04 (the key derivation to use)")


def build(args):
    pan = dkga.check_pan(args.pan) if args.pan else dkga.make_pan(args.iin, args.iain)
    if args.key:
        key = args.key
    else:
        try:
            vk = bytes.fromhex(args.vending_key)
        except ValueError:
            raise ValueError("--vending-key must be hex digits: %s" % args.vending_key)
        if args.dkga == "02":
            if args.ea != "07":
                raise ValueError("DKGA02 makes 64-bit keys: EA07 only")
            key = dkga.dkga02(vk, args.kt, args.sgc, args.ti, args.krn, pan).hex()
        else:
            key = dkga.dkga04(vk, args.base_date, args.ea, args.ti, args.sgc, args.kt,
                              args.krn, pan).hex()
    doc = {"decoder_key": key.upper(), "ea": args.ea, "base_date": args.base_date,
           "key_type": args.kt, "krn": args.krn, "ti": args.ti, "sgc": args.sgc,
           "ken": args.ken, "pan": pan, "mfr_code": args.mfr_code,
           "provisioned_at": args.provisioned_at}
    settings = {}
    for pair in args.setting or ():
        name, _, value = pair.partition("=")
        if name not in SETTINGS or not value.isdigit():
            raise ValueError("--setting takes NAME=INTEGER, NAME one of %s" % ", ".join(SETTINGS))
        settings[name] = int(value)
    if settings:
        doc["settings"] = settings
    Config(doc)  # the meter's own checks
    return doc


def parser():
    p = cli.Parser(prog="provision.py", description=__doc__.split("\n")[0],
                   epilog="Required: -o, --pan (or --iin and --iain), and one of --key or "
                   "--dkga with --vending-key.")
    d = DEFAULTS
    p.add_argument("-o", "--output", required=True,
                   help="file to write (- for stdout); required")
    key = p.add_mutually_exclusive_group(required=True)
    key.add_argument("--key", help="decoder key, hex, standard order (required, or --dkga)")
    key.add_argument("--dkga", choices=["02", "04"],
                     help="derive the key instead (with --vending-key)")
    p.add_argument("--vending-key", help="vending key, hex (with --dkga; required then)")
    p.add_argument("--ea", choices=["07", "11"],
                   help="07 STA, 11 MISTY1 (default: %s)" % d["ea"])
    p.add_argument("--base-date", type=int, choices=[1993, 2014, 2035],
                   help="TID base date (default: %s)" % d["base_date"])
    p.add_argument("--kt", type=int, help="key type 0..3 (default: %s, DUTK)" % d["kt"])
    p.add_argument("--krn", type=int, help="key revision number 1..9 (default: %s)" % d["krn"])
    p.add_argument("--ti", help="tariff index, 2 digits (default: %s)" % d["ti"])
    p.add_argument("--sgc", help="supply group code, 6 digits (default: %s)" % d["sgc"])
    p.add_argument("--ken", type=int,
                   help="key expiry number, 255 = never (default: %s)" % d["ken"])
    p.add_argument("--pan", help="meter PAN, 18 digits (required, or --iin and --iain)")
    p.add_argument("--iin", help="instead of --pan: 600727 or 0000")
    p.add_argument("--iain", help="instead of --pan: the IAIN/DRN digits")
    p.add_argument("--mfr-code", help="manufacturer code, 2 or 4 digits (default: %s)"
                   % d["mfr_code"])
    p.add_argument("--provisioned-at", help="ISO-8601 UTC (default: now)")
    p.add_argument("--setting", action="append", metavar="NAME=N",
                   help="a meter setting (see stsmeter/config.py), repeatable")
    return p


def write(path, text):
    if path == "-":
        sys.stdout.write(text)
        return
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError as e:
        fail("cannot write %s: %s: give -o a file in an existing, writable folder (or - for "
             "stdout)" % (path, e.strerror or e))


def main(argv=None):
    args = parser().parse_args(argv)
    check_options(args)
    defaults = fill_defaults(args)
    try:
        doc = build(args)
    except ValueError as e:
        fail(str(e))
    write(args.output, json.dumps(doc, indent=2) + "\n")
    if defaults:
        sys.stderr.write("provision.py: using defaults: %s\n" % ", ".join(defaults))
    return 0


if __name__ == "__main__":
    sys.exit(main())
