"""`make bench` as a table: the JSON rows of tools/bench.py and tools/bench_pico.py, one line
per figure with its unit, the target beside it where there is one, and OK or MISSED.

    bench.py                     runs the bench, prints this table
    bench.py --from-json FILE    the table of saved `bench.py --json` output

Targets (README, "Benchmarks"): on the virtual Pico, power-on to ready <= 2 s, `#` to the
result <= 500 ms for the first credit token and <= 100 ms for later ones, >= 32 KB heap
free; 0 bytes allocated per decode and per keypad scan; the meter runs in a 64 KB heap on
the unix port; decode <= 60 us (EA07) and <= 25 us (EA11) on the unix port.
"""

TARGET_ALLOC = 0  # bytes allocated per decode, per keypad scan, per display refresh
HEAP_KB = 64  # the meter's heap on the unix port
PICO_MS = {"boot_to_ready": 2000, "credit_first": 500, "credit_next": 100}
PICO_FREE_HEAP_KB = 32


class Figure:
    """One line of the table: what, the value with its unit, the target and its verdict."""

    def __init__(self, what, value, unit="", target=None, met=None):
        self.what, self.value, self.unit = what, value, unit
        self.target, self.met = target, met

    def cells(self):
        verdict = "" if self.met is None else ("OK" if self.met else "MISSED")
        return [self.what, number(self.value, self.unit), self.target or "", verdict]


def number(value, unit=""):
    """A value with its unit: 1.5 ms, 61.2 KB, yes."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        value = ("%.2f" % value).rstrip("0").rstrip(".")
    return ("%s %s" % (value, unit)).strip()


def at_most(value, limit, unit):
    return {"target": "%s%s %s" % ("<= " if limit else "", limit, unit),
            "met": None if value is None else value <= limit}


def spread(s, unit="ms"):
    """{"min","median","max"} -> '58.6-153.4 ms, median 64.8'."""
    if not s:
        return "-"
    return "%s-%s %s, median %s" % (number(s["min"]), number(s["max"]), unit,
                                    number(s["median"]))


def kb(n):
    return None if n is None else round(n / 1024, 1)


def meter_heap(r):
    ea = "EA%s" % r.get("ea")
    return [Figure("meter heap at rest, %s meter (unix port, .mpy)" % ea,
                   kb(r.get("heap_at_rest")), "KB"),
            Figure("meter heap peak during an entry, %s" % ea, kb(r.get("heap_peak_token")),
                   "KB"),
            Figure("%s meter runs in a %d KB heap (unix port)" % (ea, HEAP_KB),
                   r.get("runs_in_64k"), target="yes", met=bool(r.get("runs_in_64k"))),
            Figure("smallest heap it runs in, %s" % ea, r.get("smallest_heapsize_k"), "KB")]


def meter_flash(r):
    return [Figure("time per token, first key to result (unix port, littlefs)",
                   r.get("ms_per_token"), "ms"),
            Figure("flash programmed per accepted token (unix port)",
                   r.get("flash_bytes_programmed_per_token"), "B"),
            Figure("flash block erases per accepted token (unix port)",
                   r.get("flash_blocks_erased_per_token"))]


def firmware_heap(r):
    return [Figure("whole firmware at rest (unix port, RP2040-sized heap)",
                   kb(r.get("heap_at_rest")), "KB")]


def keypad_scan(r):
    rt = r.get("runtime", "")
    alloc = r.get("bytes_alloc_per_scan")
    return [Figure("keypad scan, bytes allocated (%s)" % rt, alloc, "B",
                   **at_most(alloc, TARGET_ALLOC, "B")),
            Figure("keypad scan (%s)" % rt, r.get("us_per_scan"), "us")]


def display_refresh(r):
    d = r.get("display", "")
    alloc = r.get("bytes_alloc_per_show_changed")
    return [Figure("display refresh, bytes allocated (%s)" % d, alloc, "B",
                   **at_most(alloc, TARGET_ALLOC, "B")),
            Figure("display bus traffic per changed character (%s)" % d,
                   r.get("bytes_per_i2c_change"), "B")]


def decode(r):
    alg = r.get("alg", "")
    us, alloc = r.get("us_per_token_unix"), r.get("bytes_alloc_per_token_32bit")
    rows = [Figure("decode one token, %s, unix port" % alg, us, "us",
                   **(at_most(us, r["target_us_unix"], "us") if "target_us_unix" in r
                      else {})),
            Figure("decode one token, %s, native emitter" % alg,
                   r.get("us_per_token_unix_native_emitter"), "us"),
            Figure("decode one token, %s, CPython" % alg, r.get("us_per_token_cpython"), "us"),
            Figure("decode, bytes allocated, %s (32-bit MicroPython)" % alg, alloc, "B",
                   **at_most(alloc, TARGET_ALLOC, "B"))]
    for key in sorted(r):
        if key.startswith("est_ms_"):
            rows.append(Figure("decode, %s, ESTIMATE %s" % (alg, key[7:]), r[key], "ms"))
    return rows


def mpy_size(r):
    return [Figure(".mpy deployed to %s (%s files)" % (r.get("board"), r.get("files")),
                   kb(r.get("bytes")), "KB")]


def pico_first_start(r):
    return [Figure("Pico: first power-on after deploy (provisioning)",
                   r.get("ms_power_on_to_ready"), "ms")]


def pico_meter(r):
    policy = r.get("code_loading", "")
    resident = policy == "resident"  # the Pico's setting: the targets are for it

    def target(value, limit, unit="ms"):
        return at_most(value, limit, unit) if resident else {}

    def top(key):
        return (r.get(key) or {}).get("max")

    p = "Pico (%s): " % policy
    heap = r.get("free_heap_kb_lowest_during_an_entry")
    rows = [Figure(p + "power-on to ready", r.get("ms_boot_to_ready"), "ms",
                   **target(r.get("ms_boot_to_ready"), PICO_MS["boot_to_ready"])),
            Figure(p + "# to result, first credit token", r.get("ms_credit_first"), "ms",
                   **target(r.get("ms_credit_first"), PICO_MS["credit_first"])),
            Figure(p + "# to result, later credit tokens", spread(r.get("ms_credit_next")),
                   **target(top("ms_credit_next"), PICO_MS["credit_next"])),
            Figure(p + "  the same, no flash erase in the save",
                   spread(r.get("ms_credit_next_without_erase")),
                   **target(top("ms_credit_next_without_erase"), PICO_MS["credit_next"])),
            Figure(p + "short code", spread(r.get("ms_short_code")))]
    kct = r.get("ms_key_change")
    if kct:
        rows.append(Figure(p + "key change, section 1 / 2",
                           " / ".join(number(x) for x in kct), "ms"))
    rest = r.get("free_heap_kb_at_rest")
    if rest:
        rows.append(Figure(p + "free heap at rest", min(rest), "KB"))
    if heap is not None:
        rows.append(Figure(p + "free heap, lowest during an entry", heap, "KB",
                           target=">= %d KB" % PICO_FREE_HEAP_KB if resident else None,
                           met=heap >= PICO_FREE_HEAP_KB if resident else None))
    flash = r.get("flash_per_token")
    if flash:
        rows.append(Figure(p + "flash per accepted token", "%s erases, %s B programmed" % (
            number(flash.get("erases")), number(flash.get("bytes_programmed")))))
    return rows


def pico_keypad(r):
    return [Figure("Pico: keypad scan, idle / a key down", "%s / %s" % (
                number(r.get("us_scan_idle")), number(r.get("us_scan_key_down"))), "us"),
            Figure("Pico: CPU busy while idle", r.get("idle_cpu_percent"), "%")]


def pico_decode(r):
    alloc = r.get("bytes_alloc_per_token")
    return [Figure("Pico: decode one token, %s" % r.get("alg"), r.get("ms_per_token"), "ms"),
            Figure("Pico: decode, bytes allocated, %s" % r.get("alg"), alloc, "B",
                   **at_most(alloc, TARGET_ALLOC, "B"))]


KINDS = {"meter_heap": meter_heap, "meter_flash": meter_flash, "firmware_heap": firmware_heap,
         "keypad_scan": keypad_scan, "display_refresh": display_refresh,
         "oled_refresh": display_refresh, "decode": decode, "mpy_size": mpy_size,
         "pico_first_start": pico_first_start, "pico_meter": pico_meter,
         "pico_keypad": pico_keypad, "pico_decode": pico_decode}


def other(r):
    """A row this table does not know: each plain number in it, as it is."""
    name = r.get("bench", "?")
    return [Figure("%s: %s" % (name, key), value) for key, value in sorted(r.items())
            if isinstance(value, (int, float)) and not isinstance(value, bool)]


def figures(rows):
    out = []
    for r in rows:
        out += KINDS.get(r.get("bench"), other)(r)
    return out


def table(rows):
    """The text of the table (and a last line: how many targets were met)."""
    figs = figures(rows)
    cells = [["figure", "value", "target", ""]] + [f.cells() for f in figs]
    widths = [max(len(c[i]) for c in cells) for i in range(3)]
    lines = ["  ".join(c[i].ljust(widths[i]) for i in range(3)) + "  " + c[3]
             for c in cells]
    lines.insert(1, "-" * (sum(widths) + 12))
    judged = [f for f in figs if f.met is not None]
    missed = [f.what for f in judged if not f.met]
    lines.append("")
    if judged:
        lines.append("targets: %d of %d met%s" % (len(judged) - len(missed), len(judged),
                                                  "; MISSED: " + "; ".join(missed) if missed
                                                  else ""))
    else:
        lines.append("targets: none among these figures")
    return "\n".join(line.rstrip() for line in lines) + "\n"
