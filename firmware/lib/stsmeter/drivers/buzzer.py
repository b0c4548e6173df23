"""An active buzzer on a pin: short feedback patterns played by an asyncio task.

    bz = Buzzer(Pin(13))
    asyncio.create_task(bz.run())
    bz.beep(ACCEPT)        # returns at once; run() plays it

A beep asked for while another plays follows it; only the latest one waits. A passive
buzzer needs a tone (machine.PWM) and only clicks here.
"""

import asyncio

from micropython import const

KEY = const(0)
ACCEPT = const(1)
REJECT = const(2)

# per kind: on, off, on, ... durations in ms (odd length: ends with the buzzer on)
_PATTERNS = const(((30,), (80, 60, 80), (150, 80, 150, 80, 400)))


class Buzzer:
    def __init__(self, pin):
        pin.init(pin.OUT, value=0)
        self._pin = pin
        self._pending = -1
        self._wake = asyncio.Event()

    def beep(self, kind=KEY):
        """Ask for pattern KEY, ACCEPT or REJECT; never blocks."""
        if not 0 <= kind < len(_PATTERNS):
            raise ValueError("beep kind")
        self._pending = kind
        self._wake.set()

    async def run(self):
        """Play beeps as they are asked for, forever."""
        pin = self._pin
        while True:
            await self._wake.wait()
            self._wake.clear()
            kind = self._pending
            self._pending = -1
            if kind < 0:
                continue
            steps = _PATTERNS[kind]
            for i in range(len(steps)):
                pin.value(1 - (i & 1))
                await asyncio.sleep_ms(steps[i])
            pin.value(0)
