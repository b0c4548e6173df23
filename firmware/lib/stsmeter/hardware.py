"""A board's devices (Devices), built from its pin map (boards/<name>.py) - the only place
that turns pin numbers into drivers (drivers/). The PC board (boards/sim.py) builds its
own instead, with the terminal as keypad and display.

Keys reach the firmware as 1-char strings: '0'-'9', '*', '#' and 'C' (clear: a long '*').
A keypad's other keys (the A-D of a 4x4 one) do nothing unless the board's KEYPAD_MAP
gives them a firmware key (for instance {"C": "C"}: the C key clears).
"""

from .drivers.keypad import LONG, Keypad

_KEYPAD_KEYS = "0123456789*#"  # a keypad's keys that are the firmware's keys as they are
_METER_KEYS = "0123456789*#C"  # what a board's KEYPAD_MAP may give a key ('C': clear)


class Devices:
    """What the firmware drives; `None` for a part the board does not have. `keys` has
    `async next_key()`, `display` has `show(lines)`, `relay` has `set(closed)`. `on_key`
    is the board's hook for keys of its own: on_key(firmware, key) returns True when it
    took the key (the PC board's load, fast time, tamper switch and quit keys); every
    other key goes to the meter."""

    def __init__(self, keys, display, relay, pulses=None, buzzer=None, keypad=None,
                 on_key=None):
        self.keys = keys
        self.display = display
        self.relay = relay
        self.pulses = pulses
        self.buzzer = buzzer
        self.keypad = keypad  # its scan task, when keys come from a matrix
        self.on_key = on_key


class MatrixKeys:
    """Keypad events as firmware keys: digits, '*', '#', a long '*' as 'C', and the
    board's KEYPAD_MAP for the rest (a key it does not map does nothing)."""

    def __init__(self, keypad, key_map=None):
        self.keypad = keypad
        self.key_map = key_map or {}

    async def next_key(self):
        while True:
            ev = await self.keypad.next_event()
            label = self.keypad.label(ev & ~LONG)
            if ev & LONG:
                if label == "*":
                    return "C"
                continue
            if label in _KEYPAD_KEYS:  # digits, * and #: themselves
                return label
            key = self.key_map.get(label)  # any other key: only as the board maps it
            if key and key in _METER_KEYS:
                return key


def _display(board):
    """The board's display; an I2C one behind a DisplayGuard, so that a missing or failing
    part is reported on the console and never stops the meter."""
    kind = board.DISPLAY
    if kind == "console":
        from .drivers.console_display import ConsoleDisplay

        return ConsoleDisplay()
    from .drivers.display_guard import DisplayGuard

    name = "%s display at 0x%02x on I2C%d (SDA GPIO%d, SCL GPIO%d)" % (
        kind, board.DISPLAY_ADDR, board.I2C_ID, board.I2C_SDA, board.I2C_SCL)
    return DisplayGuard(lambda: _i2c_display(board), name)


def _i2c_display(board):
    from machine import I2C, Pin

    i2c = I2C(board.I2C_ID, sda=Pin(board.I2C_SDA), scl=Pin(board.I2C_SCL), freq=100000)
    if board.DISPLAY == "hd44780":
        from .drivers.lcd_hd44780 import HD44780_I2C

        return HD44780_I2C(i2c, board.DISPLAY_ADDR)
    import ssd1306  # micropython-lib, installed by mip (package.json deps)

    from .drivers.oled import TextOLED

    return TextOLED(ssd1306.SSD1306_I2C(128, 64, i2c, board.DISPLAY_ADDR))


def build(board):
    from machine import Pin

    from .drivers.relay import Relay

    keypad = Keypad([Pin(n) for n in board.KEYPAD_ROWS], [Pin(n) for n in board.KEYPAD_COLS],
                    board.KEYPAD_KEYS)
    led = Pin(board.LED_PIN, Pin.OUT) if board.LED_PIN is not None else None
    relay = Relay(Pin(board.RELAY_PIN), board.RELAY_ACTIVE_LOW, led)
    pulses = buzzer = None
    if board.PULSE_PIN is not None:
        from .drivers.pulses import PulseCounter

        pulses = PulseCounter(Pin(board.PULSE_PIN), board.PULSE_IMP_PER_KWH)
    if board.BUZZER_PIN is not None:
        from .drivers.buzzer import Buzzer

        buzzer = Buzzer(Pin(board.BUZZER_PIN))
    return Devices(MatrixKeys(keypad, getattr(board, "KEYPAD_MAP", None)), _display(board),
                   relay, pulses, buzzer, keypad)
