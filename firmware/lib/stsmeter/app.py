"""The firmware: the meter wired to a board's keypad, display, relay and energy input.

    import board                  # the board's pin map (boards/<name>.py, copied as board.py)
    from stsmeter import app
    app.run(board)

Asyncio tasks: keys (keypad -> meter), metering (each second: time, pulses and the
simulated load -> meter), the keypad scan and the buzzer. After each step the relay and
the display follow the meter. The meter saves what it must itself, so a power cut at any
instant is safe; on first start the decoder key is sealed into the state and removed
from meter.json.
"""

import asyncio
import json
import os
import time

from micropython import const

from . import collect_often, keep_code
from .config import Config
from .meter import Meter
from .seal import Sealer
from .store import Store

METER_FILE = "meter.json"
STATE_DIR = "state"
LOAD_STEP_W = const(100)
FAST = const(60)  # time runs this much faster in fast mode (the PC board's 'f' key)
RESIDENT = "resident"  # board.CODE_LOADING: load every entry's code at start, keep it
PER_ENTRY = "per_entry"  # load each entry's code when needed, release it after (64 KB)


class Devices:
    """What the firmware drives; `None` for a part the board does not have. `keys` has
    `async next_key()`, `display` has `show(lines)`, `relay` has `set(closed)`."""

    def __init__(self, keys, display, relay, pulses=None, buzzer=None, keypad=None):
        self.keys = keys
        self.display = display
        self.relay = relay
        self.pulses = pulses
        self.buzzer = buzzer
        self.keypad = keypad  # its scan task, when keys come from a matrix


def wall_seconds(cfg):
    """The meter clock from the board's RTC (0 if the RTC is behind provisioning)."""
    from . import clock, release

    t = clock.seconds_at(cfg, *time.gmtime()[:6])
    release("clock", "tid")  # used at start only
    return max(0, t)


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
        with open(METER_FILE) as f:
            doc = json.load(f)
        cfg = Config(doc)
        sealer = Sealer(board.device_id())
        self.meter = Meter(cfg, Store(STATE_DIR, sealer.cmac), sealer, wall_seconds(cfg),
                           self.on_event, os.urandom)
        _forget_key(doc)
        self.speed = 1
        self.sim_load = 0
        self.running = True
        self._lines = None
        self._retry_display = getattr(devices.display, "retry", None)  # DisplayGuard

    def on_event(self, event):
        buzzer = self.dev.buzzer
        if buzzer is not None and event["event"] == "result":
            from .buzzer import ACCEPT, REJECT

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
        """One key from the board: meter keys, and the board's own (load, speed, quit)."""
        m = self.meter
        if k == "+":
            self.sim_load = min(self.sim_load + LOAD_STEP_W, m.cfg.max_load_w)
            m.set_load(self.sim_load)
        elif k == "-":
            self.sim_load = max(self.sim_load - LOAD_STEP_W, 0)
            m.set_load(self.sim_load)
        elif k == "f":
            self.speed = 1 if self.speed != 1 else FAST
        elif k == "!":
            m.tamper_input()
        elif k == "q":
            self.running = False
        else:
            if self.dev.buzzer is not None:
                self.dev.buzzer.beep()
            m.press(k)

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

    async def main(self):
        self.refresh()
        for task in (self.dev.keypad and self.dev.keypad.run(),
                     self.dev.buzzer and self.dev.buzzer.run()):
            if task:
                asyncio.create_task(task)
        asyncio.create_task(self.metering())
        await self.keys()


def run(board, devices=None):
    """Build the board's devices and run the meter until 'q' (the PC board) or power-off.

    A meter that cannot start (no meter.json, or no key to provision or to unseal) says
    why on its display and console and returns: restarting would not help."""
    resident = _code_loading(board) == RESIDENT
    if resident:
        keep_code()
    else:
        collect_often()
    if devices is None:
        devices = board.devices() if hasattr(board, "devices") else _hardware(board)
    try:
        firmware = Firmware(board, devices)
    except (OSError, ValueError) as e:
        print("stsmeter: cannot start:", e)
        devices.display.show(("Not provisioned", "see console"))
        return
    if resident:
        firmware.meter.load_code()
    asyncio.run(firmware.main())


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
