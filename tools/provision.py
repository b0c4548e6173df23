#!/usr/bin/env python3
"""Write a meter provisioning file (meter.json) from a decoder key or the vending inputs.

    provision.py -o meter.json --key 0ABC12DEF3456789 --ea 07 --kt 2 --krn 1 --ti 01 \\
        --sgc 123456 --pan 600727000000000009 --mfr-code 07
    provision.py -o meter.json --dkga 04 --vending-key <40 hex> --ea 07 --kt 2 ... (derives
        the key exactly as `tools/sts.py keygen` does)

The meter seals the key into its state on first start; on a board, deploy removes the
key from the copy it keeps. Exit status 2 on misuse, with one line on stderr.
"""

import argparse
import json
import os
import sys
import time

import dkga
import paths
from stsmeter.config import Config
from stsmeter.jobs.meterjson import SETTINGS

HERE = paths.TOOLS


def fail(message):
    sys.stderr.write("provision.py: error: %s\n" % message)
    sys.exit(2)


class Parser(argparse.ArgumentParser):
    def error(self, message):
        fail(message)


def build(args):
    pan = args.pan or (dkga.make_pan(args.iin, args.iain) if args.iin and args.iain else None)
    if not pan:
        raise ValueError("give --pan, or --iin and --iain")
    if args.key:
        key = args.key
    elif args.dkga:
        vk = bytes.fromhex(args.vending_key or "")
        if args.dkga == "02":
            if args.ea != "07":
                raise ValueError("DKGA02 makes 64-bit keys: EA07 only")
            key = dkga.dkga02(vk, args.kt, args.sgc, args.ti, args.krn, pan).hex()
        else:
            key = dkga.dkga04(vk, args.base_date, args.ea, args.ti, args.sgc, args.kt,
                              args.krn, pan).hex()
    else:
        raise ValueError("give --key, or --dkga with --vending-key")
    doc = {"decoder_key": key.upper(), "ea": args.ea, "base_date": args.base_date,
           "key_type": args.kt, "krn": args.krn, "ti": args.ti, "sgc": args.sgc,
           "ken": args.ken, "pan": pan, "mfr_code": args.mfr_code,
           "provisioned_at": args.provisioned_at
           or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
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


def main(argv=None):
    p = Parser(prog="provision.py", description=__doc__.split("\n")[0])
    p.add_argument("-o", "--output", required=True, help="file to write (- for stdout)")
    p.add_argument("--key", help="decoder key, hex, standard order")
    p.add_argument("--dkga", choices=["02", "04"], help="derive the key instead")
    p.add_argument("--vending-key", help="vending key, hex (with --dkga)")
    p.add_argument("--ea", default="07", choices=["07", "11"], help="07 STA, 11 MISTY1")
    p.add_argument("--base-date", type=int, default=2014, choices=[1993, 2014, 2035])
    p.add_argument("--kt", type=int, default=2, help="key type 0..3 (default 2, DUTK)")
    p.add_argument("--krn", type=int, default=1, help="key revision number 1..9")
    p.add_argument("--ti", default="01", help="tariff index, 2 digits")
    p.add_argument("--sgc", default="123456", help="supply group code, 6 digits")
    p.add_argument("--ken", type=int, default=255, help="key expiry number (255 = never)")
    p.add_argument("--pan", help="meter PAN, 18 digits")
    p.add_argument("--iin", help="instead of --pan: 600727 or 0000")
    p.add_argument("--iain", help="instead of --pan: the IAIN/DRN digits")
    p.add_argument("--mfr-code", default="99", help="manufacturer code, 2 or 4 digits")
    p.add_argument("--provisioned-at", help="ISO-8601 UTC (default now)")
    p.add_argument("--setting", action="append", metavar="NAME=N",
                   help="a meter setting (see stsmeter/config.py), repeatable")
    args = p.parse_args(argv)
    try:
        doc = build(args)
    except ValueError as e:
        fail(str(e))
    text = json.dumps(doc, indent=2) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
