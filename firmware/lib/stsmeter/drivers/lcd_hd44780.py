"""HD44780 character LCD (16x2, 20x4) behind a PCF8574 I2C backpack.

    from machine import I2C, Pin
    from stsmeter.lcd_hd44780 import HD44780_I2C

    lcd = HD44780_I2C(I2C(0, scl=Pin(1), sda=Pin(0), freq=100_000))   # 0x27, 16x2
    lcd.show(("Credit 123.4 kWh", "Relay on"))

Backpack wiring (PCF8574 port bit -> LCD pin), the common "LCD1602 I2C" module:
P0 RS, P1 RW, P2 E, P3 backlight transistor, P4..P7 D4..D7. Its address is 0x27
(0x3F with a PCF8574A). The driver only writes: RW stays low.

`show(lines)` keeps a shadow copy of the screen and sends only the characters that
changed: for each run of changed characters one "set DDRAM address" instruction, then
the characters; a single unchanged character between two changes is rewritten instead
(4 bus bytes, cheaper than a new address). Nothing changed: no bus traffic at all.

Every LCD byte goes out as two nibbles, high first, each presented on D4..D7 with E
high and latched by E falling: 4 I2C bytes per LCD byte. When RS has to change, one
extra byte sets it while E is still low (address setup time). The bytes of one update
are built in a preallocated bytearray and sent with `i2c.writeto(addr, view)`, `view`
being one of a set of memoryviews made in the constructor (lengths 4, 8, ... 64): a
transaction is padded to a multiple of 4 by repeating its last byte (no E edge, so the
LCD ignores it), and a longer update is sent in 64-byte pieces.

No delays are needed in `show`: the PCF8574 is specified for 100 kHz I2C, where one
byte takes 90 us, and even at 400 kHz the next instruction's first E fall comes at
least two bytes (45 us) after the previous one completed, more than the 37 us an
HD44780 instruction takes. Only clear (1.52 ms) and the power-on reset wait, with
`time.sleep_ms`.

The refresh path allocates nothing (MicroPython unix port, `tools/bench_display.py`).
One caveat: the first time a character is read out of a str, MicroPython may intern it
as a one-character string - a one-off of a few bytes per distinct character, never
repeated. Lines may also be bytes or bytearray (character codes), which avoids even that.

Characters: ASCII 32..126 are shown as is (the common ROM A00 shows "\\" as a yen sign
and "~" as an arrow); "\\x00".."\\x07" show the glyphs defined with `custom_char`; any
other character shows as "?". A str is read by characters, so "e acute" is one "?";
bytes are read by byte, so UTF-8 text gives one "?" per byte.

Screen geometry: lines start at DDRAM 0x00 and 0x40; a 4-line display continues line 1
at 0x00 + cols and line 2 at 0x40 + cols (0x14/0x54 on a 20x4, 0x10/0x50 on a 16x4).
"""

import time

from micropython import const

# PCF8574 port bits
_RS = const(0x01)
_E = const(0x04)
_BACKLIGHT = const(0x08)
# P1 (RW) is never set: the LCD is only written.

# HD44780 instructions
_CLEAR = const(0x01)
_ENTRY_INCREMENT = const(0x06)  # entry mode: address +1 after each write, no display shift
_DISPLAY_OFF = const(0x08)
_DISPLAY_ON = const(0x0C)  # display on, cursor off, blink off
_FUNCTION_4BIT = const(0x20)  # function set: DL=0 (4-bit bus), F=0 (5x8 dots)
_TWO_LINES = const(0x08)  # function set N: 2-line mode (every display with 2 or 4 rows)
_SET_CGRAM = const(0x40)
_SET_DDRAM = const(0x80)
_RESET_NIBBLE = const(0x3)  # function set, 8-bit bus: the high nibble of 0x30
_FOUR_BIT_NIBBLE = const(0x2)  # function set, 4-bit bus: the high nibble of 0x20

_SPACE = const(0x20)
_PLACEHOLDER = const(0x3F)  # "?"
_LAST_PRINTABLE = const(0x7E)
_CUSTOM_GLYPHS = const(8)  # CGRAM glyphs 0..7
_UNKNOWN = const(0xFF)  # shadow value that show() never produces: forces a rewrite

_BUF_LEN = const(64)  # bytes per I2C transaction at most; a multiple of 4
_MAX_PUT = const(5)  # bytes one LCD byte may need (RS setup + 4)
_MAX_GAP = const(1)  # unchanged characters rewritten rather than readdressed

_POWER_ON_MS = const(50)  # > 40 ms after Vcc reaches 2.7 V (> 15 ms at 4.5 V)
_FIRST_RESET_MS = const(5)  # > 4.1 ms after the first 8-bit function set
_RESET_MS = const(1)  # > 100 us after the second; > 37 us after the others
_CLEAR_MS = const(2)  # clear display takes 1.52 ms
_EIO = const(5)


class HD44780_I2C:
    """A rows x cols HD44780 LCD on a PCF8574 backpack at `addr` on the bus `i2c`.

    An OSError from the bus propagates (also EIO when the backpack acknowledges its address
    but not every byte); the shadow is then marked unknown so the next
    `show` rewrites every character. If the LCD may have lost power or a nibble (a
    transaction cut short), call `init()` before that next `show`.
    """

    def __init__(self, i2c, addr=0x27, rows=2, cols=16, backlight=True):
        if not 1 <= rows <= 4 or not 1 <= cols <= (20 if rows > 2 else 40):
            raise ValueError("HD44780: 1..4 rows, up to 40 characters (20 with 4 rows)")
        self.i2c = i2c
        self.addr = addr
        self.rows = rows
        self.cols = cols
        self._light = _BACKLIGHT if backlight else 0
        self._pins = self._light  # the expander's outputs as last written (E low)
        self._starts = bytearray((0x00, 0x40, cols, 0x40 + cols)[:rows])
        self._shadow = bytearray(rows * cols)
        self._buf = bytearray(_BUF_LEN)
        self._n = 0  # bytes queued in _buf
        view = memoryview(self._buf)
        self._views = tuple(view[:n] for n in range(0, _BUF_LEN + 1, 4))  # by length // 4
        self.init()

    def init(self):
        """The datasheet's initialisation by instruction (4-bit bus), then a clear screen.

        Safe whatever state the LCD is in (power-on, 8-bit mode, half-way through a 4-bit
        byte after a board reset): the three 8-bit function sets resynchronise it.
        Takes about 60 ms.
        """
        self._n = 0
        self._pins = self._light
        self._idle()  # E, RS and RW low, backlight as asked
        time.sleep_ms(_POWER_ON_MS)
        self._nibble(_RESET_NIBBLE)
        time.sleep_ms(_FIRST_RESET_MS)
        self._nibble(_RESET_NIBBLE)
        time.sleep_ms(_RESET_MS)
        self._nibble(_RESET_NIBBLE)
        time.sleep_ms(_RESET_MS)
        self._nibble(_FOUR_BIT_NIBBLE)  # from here on every byte is two nibbles
        time.sleep_ms(_RESET_MS)
        self._put(_FUNCTION_4BIT | (_TWO_LINES if self.rows > 1 else 0), 0)
        self._put(_DISPLAY_OFF, 0)
        self.clear()
        self._put(_ENTRY_INCREMENT, 0)
        self._put(_DISPLAY_ON, 0)
        self._flush()

    def show(self, lines):
        """Show a sequence of lines (str, or bytes of character codes), one per row.

        Short lines are padded with spaces, long ones cut; missing rows are blank and
        extra lines ignored. Only changed characters go over the bus.
        """
        shadow = self._shadow
        starts = self._starts
        cols = self.cols
        count = len(lines)
        for r in range(self.rows):
            line = lines[r] if r < count else ""
            length = len(line)
            text = isinstance(line, str)
            base = r * cols
            at = -1  # column the LCD's address counter points at; -1: not in this row
            for c in range(cols):
                code = _SPACE
                if c < length:
                    code = ord(line[c]) if text else line[c]
                    if code > _LAST_PRINTABLE or _CUSTOM_GLYPHS <= code < _SPACE:
                        code = _PLACEHOLDER
                if shadow[base + c] == code:
                    continue
                if at < 0 or c - at > _MAX_GAP:
                    self._put(_SET_DDRAM | (starts[r] + c), 0)
                else:
                    while at < c:  # a short unchanged gap: rewrite it from the shadow
                        self._put(shadow[base + at], _RS)
                        at += 1
                self._put(code, _RS)
                shadow[base + c] = code
                at = c + 1
        self._flush()

    def clear(self):
        """Blank the screen (and the shadow); takes 2 ms."""
        self._put(_CLEAR, 0)
        self._flush()
        time.sleep_ms(_CLEAR_MS)
        shadow = self._shadow
        for i in range(len(shadow)):
            shadow[i] = _SPACE

    def backlight(self, on):
        """Switch the backlight on or off (the screen contents stay)."""
        self._light = _BACKLIGHT if on else 0
        self._pins = (self._pins & ~_BACKLIGHT) | self._light
        self._idle()

    def custom_char(self, slot, bitmap):
        """Define glyph `slot` (0..7) from 8 row bytes, bit 4 = leftmost dot of a row.

        The glyph is then shown for the character chr(slot); characters already on the
        screen change at once.
        """
        if not 0 <= slot < _CUSTOM_GLYPHS or len(bitmap) != 8:
            raise ValueError("custom_char: slot 0..7 and 8 row bytes")
        self._put(_SET_CGRAM | (slot << 3), 0)
        for i in range(8):
            self._put(bitmap[i] & 0x1F, _RS)
        self._flush()  # show() sets a DDRAM address before writing any character

    def _put(self, value, rs):
        """Queue one LCD byte, instruction (rs 0) or character (rs _RS): 4 or 5 bus bytes."""
        n = self._n
        if n > _BUF_LEN - _MAX_PUT:
            self._flush()
            n = 0
        buf = self._buf
        pins = self._pins
        ctrl = rs | self._light
        if (pins ^ rs) & _RS:  # RS settles while E is low, before E rises
            buf[n] = (pins & 0xF0) | ctrl
            n += 1
        high = (value & 0xF0) | ctrl
        low = ((value << 4) & 0xF0) | ctrl
        buf[n] = high | _E
        buf[n + 1] = high  # E falls: the LCD latches D7..D4
        buf[n + 2] = low | _E
        buf[n + 3] = low
        self._n = n + 4
        self._pins = low

    def _nibble(self, nibble):
        """One E strobe with RS low, then send (the 8-bit-bus steps of the init)."""
        n = self._n
        out = (nibble << 4) | self._light
        self._buf[n] = out | _E
        self._buf[n + 1] = out
        self._n = n + 2
        self._pins = out
        self._flush()

    def _idle(self):
        """Write the current pin state with E low (no strobe)."""
        self._buf[self._n] = self._pins
        self._n += 1
        self._flush()

    def _flush(self):
        n = self._n
        if not n:
            return
        buf = self._buf
        last = buf[n - 1]
        while n & 3:  # pad to the next prebuilt view; E stays low, the LCD ignores it
            buf[n] = last
            n += 1
        self._n = 0
        try:
            # writeto returns the bytes acknowledged: fewer is a backpack that stopped
            # answering half-way (the address was ACKed, so no OSError from the port)
            if self.i2c.writeto(self.addr, self._views[n >> 2]) != n:
                raise OSError(_EIO)
        except OSError:
            shadow = self._shadow  # part of the update may be lost: rewrite all next time
            for i in range(len(shadow)):
                shadow[i] = _UNKNOWN
            raise
