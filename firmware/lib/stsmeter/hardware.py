"""A board's devices, built from its pin map (boards/<name>.py) - the only place that
turns pin numbers into drivers. The PC board (boards/sim.py) builds its own instead.

Keys reach the firmware as 1-char strings: '0'-'9', '*', '#', 'C' (clear: a long '*' or
the C key), and '+' / '-' (the A and B keys of a 4x4 keypad: simulated load up/down).
"""

from .app import Devices
from .keypad import LONG, Keypad
from .relay import Relay

_KEY_MAP = {"A": "+", "B": "-", "C": "C", "D": ""}


class MatrixKeys:
    """Keypad events as firmware keys."""

    def __init__(self, keypad):
        self.keypad = keypad

    async def next_key(self):
        while True:
            ev = await self.keypad.next_event()
            label = self.keypad.label(ev & ~LONG)
            if ev & LONG:
                if label == "*":
                    return "C"
                continue
            key = _KEY_MAP.get(label, label)
            if key:
                return key


def _display(board):
    """The board's display; an I2C one behind a DisplayGuard, so that a missing or failing
    part is reported on the console and never stops the meter."""
    kind = board.DISPLAY
    if kind == "console":
        from .console_display import ConsoleDisplay

        return ConsoleDisplay()
    from .display_guard import DisplayGuard

    name = "%s display at 0x%02x on I2C%d (SDA GPIO%d, SCL GPIO%d)" % (
        kind, board.DISPLAY_ADDR, board.I2C_ID, board.I2C_SDA, board.I2C_SCL)
    return DisplayGuard(lambda: _i2c_display(board), name)


def _i2c_display(board):
    from machine import I2C, Pin

    i2c = I2C(board.I2C_ID, sda=Pin(board.I2C_SDA), scl=Pin(board.I2C_SCL), freq=100000)
    if board.DISPLAY == "hd44780":
        from .lcd_hd44780 import HD44780_I2C

        return HD44780_I2C(i2c, board.DISPLAY_ADDR)
    import ssd1306  # micropython-lib, installed by mip (package.json deps)

    from .oled import TextOLED

    return TextOLED(ssd1306.SSD1306_I2C(128, 64, i2c, board.DISPLAY_ADDR))


def build(board):
    from machine import Pin

    keypad = Keypad([Pin(n) for n in board.KEYPAD_ROWS], [Pin(n) for n in board.KEYPAD_COLS],
                    board.KEYPAD_KEYS)
    led = Pin(board.LED_PIN, Pin.OUT) if board.LED_PIN is not None else None
    relay = Relay(Pin(board.RELAY_PIN), board.RELAY_ACTIVE_LOW, led)
    pulses = buzzer = None
    if board.PULSE_PIN is not None:
        from .pulses import PulseCounter

        pulses = PulseCounter(Pin(board.PULSE_PIN), board.PULSE_IMP_PER_KWH)
    if board.BUZZER_PIN is not None:
        from .buzzer import Buzzer

        buzzer = Buzzer(Pin(board.BUZZER_PIN))
    return Devices(MatrixKeys(keypad), _display(board), relay, pulses, buzzer, keypad)
