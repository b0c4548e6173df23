"""The firmware: the meter wired to a board's keypad, display, relay and energy input.

    import board                  # the board's pin map (boards/<name>.py, copied as board.py)
    from stsmeter import app
    app.run(board)

Asyncio tasks: keys (keypad -> meter, or the board's own keys: Devices.on_key),
metering (each second: time and pulses -> meter), the keypad scan and the buzzer. After
each step the relay and the display follow the meter. The meter saves what it must
itself, so a power cut at any instant is safe; on first start the decoder key is sealed
into the state and removed from meter.json.
"""

import asyncio
import json
import os
import sys
import time


from . import collect_often, keep_code, release
from .config import Config
from .meter import Meter
from .seal import Sealer
from .store import Store

METER_FILE = "meter.json"
STATE_DIR = "state"
RESIDENT = "resident"  # board.CODE_LOADING: load every entry's code at start, keep it
PER_ENTRY = "per_entry"  # load each entry's code when needed, release it after (small heap)


def wall_seconds(cfg):
    """The meter clock from the board's RTC (0 if the RTC is behind provisioning)."""
    from .jobs import clock

    return max(0, clock.seconds_at(cfg, *time.gmtime()[:6]))  # (released with the start)


def _store(board, sealer):
    """Where the state goes: a flash journal in the blocks under the board's filesystem
    when its pin map gives that block device (board.flash(), journal.py), else state files
    (store.py: the PC)."""
    if hasattr(board, "flash"):
        from .journal import Journal

        return Journal(board.flash(), STATE_DIR, sealer.cmac)
    return Store(STATE_DIR, sealer.cmac)


def _forget_key(doc):
    """Once the key is sealed in the state, keep meter.json without it."""
    if "decoder_key" in doc:
        del doc["decoder_key"]
        with open(METER_FILE + ".tmp", "w") as f:
            json.dump(doc, f)
        os.rename(METER_FILE + ".tmp", METER_FILE)


class Firmware:
    def __init__(self, board, devices):
        self.dev = devices
        try:
            f = open(METER_FILE)
        except OSError:
            raise ValueError("no meter.json on the board: provision it with `make deploy "
                             "BOARD=<board> PORT=<port> METER=<your meter.json>` (README: "
                             "On a board)") from None
        with f:
            doc = json.load(f)
        cfg = Config(doc)
        sealer = Sealer(board.device_id())
        self.store = _store(board, sealer)
        self.meter = Meter(cfg, self.store, sealer, wall_seconds(cfg), self.on_event,
                           os.urandom)
        if cfg.production and "decoder_key" in doc:  # provisioned now: production mode
            from .jobs import production

            production.enter()
            production.close_repl()  # from now on, not only from the next power-on
        _forget_key(doc)
        self.speed = 1  # time runs this many times faster (a board's hook may set it)
        self.running = True  # False: run() returns (a board's hook may end it: the PC)
        self._lines = None
        self._retry_display = getattr(devices.display, "retry", None)  # DisplayGuard

    def on_event(self, event):
        if event.get("warning") == "settings_ignored":
            print("stsmeter: meter.json differs from the settings provisioned (%s): ignored;"
                  " re-provision to change them" % ", ".join(event["fields"]))
        buzzer = self.dev.buzzer
        if buzzer is not None and event["event"] == "result":
            from .drivers.buzzer import ACCEPT, REJECT

            good = event["result"] in ("accept", "kct_partial", "short_code")
            buzzer.beep(ACCEPT if good else REJECT)

    def refresh(self):
        """Relay and display follow the meter."""
        m = self.meter
        self.dev.relay.set(m.relay_closed)
        lines = m.screen()
        panel = getattr(self.dev.display, "panel", None)
        if panel is not None:  # the PC board also shows the supply beside the LCD
            panel(lines, m, self.speed)
        elif lines != self._lines:
            self._lines = lines
            self.dev.display.show(lines)

    def key(self, k):
        """One key from the board: the board's own (its on_key hook), else the meter's."""
        hook = self.dev.on_key
        if hook is not None and hook(self, k):
            return
        if self.dev.buzzer is not None:
            self.dev.buzzer.beep()
        self.meter.press(k)

    async def keys(self):
        while self.running:
            self.key(await self.dev.keys.next_key())
            self.refresh()

    async def metering(self):
        last = time.ticks_ms()
        owed_ms = 0
        while self.running:
            await asyncio.sleep_ms(1000)  # the display changes by the second at most
            now = time.ticks_ms()
            owed_ms += time.ticks_diff(now, last) * self.speed
            last = now
            pulses = self.dev.pulses
            if pulses is not None:
                n = pulses.take()
                if n:
                    self.meter.add_energy(pulses.joules(n))
            if owed_ms >= 1000:
                self.meter.advance(owed_ms // 1000)
                owed_ms %= 1000
            self.refresh()
            if self._retry_display is not None:
                self._retry_display()
            self._idle_work()

    def _idle_work(self):
        """A flash journal's idle work (it may erase a sector: ~50 ms in which the CPU runs
        nothing, keypad scans included), only while nobody is typing: no entry going on
        and no key for 2 s, so that no key press falls into it."""
        maintain = getattr(self.store, "maintain", None)
        m = self.meter
        if maintain is not None and not m.entry.count and m.now - m.entry.last_key_at >= 2:
            maintain()

    async def main(self):
        self.refresh()
        for task in (self.dev.keypad and self.dev.keypad.run(),
                     self.dev.buzzer and self.dev.buzzer.run()):
            if task:
                asyncio.create_task(task)
        asyncio.create_task(self.metering())
        await self.keys()


def main(board):
    """firmware/main.py's work: the meter; then, on a development board, the REPL. A board
    in production mode (production.py) keeps Ctrl-C off and never returns to the REPL:
    an error restarts it."""
    from .jobs import production

    prod = production.on()
    if not prod:
        production.open_repl()
    from . import __version__

    print("stsmeter %s: %s" % (__version__, "production mode" if prod else
                               "development mode (Ctrl-C: the REPL)"))
    try:
        run(board, production=prod)
    except KeyboardInterrupt:  # (development only: Ctrl-C is off in production)
        return
    except Exception as e:  # on a board: on the console, then start again
        sys.print_exception(e)
        _restart()
        raise  # the PC: no restart
    if production.on():  # (provisioned now, maybe) a meter that cannot start waits,
        while True:  # saying why on its display
            time.sleep(3600)


def _restart():
    import machine

    reset = getattr(machine, "reset", None)  # (not on the unix port)
    if reset is not None:
        reset()


def run(board, devices=None, production=False):
    """Build the board's devices and run the meter until 'q' (the PC board) or power-off.

    A meter that cannot start (no meter.json, a bad field in it, no key to provision or to
    unseal, or anything else) says why on its display (the field, or the reason) and in
    one line on its console, and returns: restarting would not help."""
    resident = _code_loading(board) == RESIDENT
    if resident:
        keep_code()
    else:
        collect_often()
    if devices is None:
        devices = board.devices() if hasattr(board, "devices") else _hardware(board)
    try:
        firmware = Firmware(board, devices)
    except Exception as e:  # whatever it is: said in one line, never a traceback
        why = _why(e)
        print("stsmeter: cannot start: %s" % why)
        devices.display.show(("Not provisioned", _shown(why)))
        return
    if production:
        from .jobs import decommission

        if decommission.wanted(devices) and decommission.run(firmware):
            _restart()  # a development board now, without key or state
            return
    release("start")  # (production, decommission: start-up code too)
    if resident:
        load_code(firmware.meter)
    asyncio.run(firmware.main())


def load_code(m):
    """The code of every kind of entry (stsmeter.LOADS), loaded now, to be kept (resident
    code: stsmeter.keep_code); of the ciphers, only the meter's."""
    from . import LOADS

    for work in ("decode", "token", "short_code"):
        for name in LOADS[work].split():
            if name not in ("sts.sta", "sts.misty1"):
                __import__("stsmeter." + name)
    from .sts.decoder import make_cipher

    make_cipher(m.ea, m.key)


def _why(e):
    """Why the meter cannot start, in one line."""
    text = str(e)
    if not isinstance(e, (OSError, ValueError)) or not text:
        text = "%s: %s" % (type(e).__name__, text) if text else type(e).__name__
    return " ".join(text.split())


FIELDS = ("decoder_key", "ea", "base_date", "key_type", "krn", "ti", "sgc", "ken", "pan",
          "mfr_code", "provisioned_at", "production", "settings")  # of meter.json


def _shown(why):
    """The display's second line for a meter that cannot start: the meter.json field the
    reason names, else the reason, cut to the display's width."""
    from .jobs.meterjson import SETTINGS

    if " must " in why:
        return why.split(" must ")[0][:16]
    for word in why.split():
        if word in FIELDS or word in SETTINGS:
            return word[:16]
    return why[:16]


def _code_loading(board):
    """The board's CODE_LOADING: RESIDENT or PER_ENTRY (the default)."""
    how = getattr(board, "CODE_LOADING", PER_ENTRY)
    if how not in (RESIDENT, PER_ENTRY):
        print("stsmeter: board.CODE_LOADING must be %r or %r, not %r: using %r"
              % (RESIDENT, PER_ENTRY, how, PER_ENTRY))
        how = PER_ENTRY
    return how


def _hardware(board):
    from . import hardware

    return hardware.build(board)
