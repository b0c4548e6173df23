"""A model of an HD44780 character LCD behind a PCF8574 I2C backpack, for host tests.

Attach it to a FakeI2C; it decodes the bytes written to the expander the way the LCD
sees them and keeps the controller's state, so tests can read back the visible text:

    clock = Clock()                          # also patched in as time.sleep_ms
    lcd_model = i2c.attach(0x27, FakeHD44780(rows=2, cols=16, clock=clock))
    ...
    lcd_model.screen()    -> ["Credit 123.4 kWh", "Relay on        "]

Wiring: P0 RS, P1 RW, P2 E, P3 backlight, P4..P7 D4..D7 (D0..D3 not connected).

What is modelled (HD44780U datasheet):
- every byte written sets the eight expander outputs; E falling with RW low latches
  D7..D4 (E falling with RW high is a read cycle and latches nothing);
- after power-on the bus is 8 bits wide, so each latched nibble is a whole instruction
  whose low four bits read 0; function set with DL=0 switches to 4 bits, after which
  instructions and characters arrive as high nibble, then low nibble;
- instructions: clear, home, entry mode, display control, function set, set CGRAM and
  DDRAM address; character writes to DDRAM/CGRAM with the address counter moving per
  entry mode (2-line mode: 0x00..0x27 then 0x40..0x67; 1-line mode: 0x00..0x4F);
- timing, on `clock` (microseconds; every I2C byte advances it by `byte_us`): >40 ms
  from power-on to the first instruction, 4.1 ms after the first 8-bit function set,
  100 us after the second, 1.52 ms for clear and home and 37 us for the rest.

Anything a real LCD would not take is appended to `violations` (a str each): a nibble
latched while busy, RS or RW changing together with E rising (address setup) or while
E is high, D7..D4 changing together with E falling (data setup), the two nibbles of one
byte with different RS, a DDRAM address outside the lines, display shift (not
modelled). DDRAM starts as 0xFF garbage, as when the internal reset did not run.
"""

RS = 0x01
RW = 0x02
E = 0x04
BACKLIGHT = 0x08

POWER_ON_US = 40_000
FIRST_RESET_US = 4_100
SECOND_RESET_US = 100
EXEC_US = 37
CLEAR_US = 1_520


class Clock:
    """Simulated time shared by the models and the patched time.sleep_ms."""

    def __init__(self):
        self.now_us = 0.0

    def sleep_ms(self, ms):
        self.now_us += ms * 1000

    def sleep_us(self, us):
        self.now_us += us


class FakeHD44780:
    def __init__(self, rows=2, cols=16, clock=None, byte_us=22.5):
        self.rows = rows
        self.cols = cols
        self.clock = clock or Clock()
        self.byte_us = byte_us  # 9 SCL clocks: 22.5 us at 400 kHz (90 us at 100 kHz)
        self.pins = 0xFF  # PCF8574 outputs are high after power-on
        self.busy_until = self.clock.now_us + POWER_ON_US
        self.four_bit = False
        self.two_lines = False
        self.display_on = False
        self.cursor = False
        self.blink = False
        self.increment = True
        self.shift = False
        self.address = 0
        self.in_cgram = False
        self.ddram = bytearray(b"\xff" * 0x80)
        self.cgram = bytearray(64)
        self.resets = 0  # 8-bit function sets received
        self.pending = None  # (rs, high nibble) waiting for its low nibble
        self.rs_at_rise = 0
        self.nibbles = []  # (time_us, rs, nibble) as latched
        self.instructions = []  # (rs, byte) as executed
        self.violations = []

    # -- the I2C side ------------------------------------------------------------------

    def write(self, buf):
        for i in range(len(buf)):
            self.clock.now_us += self.byte_us
            old, new = self.pins, buf[i]
            self.pins = new
            self._edges(old, new)

    def _edges(self, old, new):
        if new & E and not old & E:
            if (old ^ new) & (RS | RW):
                self._violation("RS/RW changed together with E rising (address setup)")
            if new & RW:
                self._violation("E strobed with RW high: the driver must only write")
            self.rs_at_rise = new & RS
        elif new & E and (old ^ new) & (RS | RW):
            self._violation("RS/RW changed while E is high")
        elif old & E and not new & E:
            if old & RW:
                return  # a read cycle (only the power-on state): nothing latched
            if (old ^ new) & 0xF0:
                self._violation("D7..D4 changed together with E falling (data setup)")
            self._latch(self.rs_at_rise, old >> 4)

    def _latch(self, rs, nibble):
        now = self.clock.now_us
        self.nibbles.append((now, rs, nibble))
        if now < self.busy_until:
            early = self.busy_until - now
            self._violation("nibble %x latched %.1f us too early" % (nibble, early))
        if not self.four_bit:
            self._execute(rs, nibble << 4)
        elif self.pending is None:
            self.pending = (rs, nibble)
        else:
            first_rs, high = self.pending
            self.pending = None
            if first_rs != rs:
                self._violation("the two nibbles of one byte differ in RS")
            self._execute(rs, high << 4 | nibble)

    # -- the controller ----------------------------------------------------------------

    def _execute(self, rs, byte):
        self.instructions.append((rs, byte))
        busy = EXEC_US
        if rs:
            self._write_ram(byte)
        elif byte & 0x80:
            self.address = byte & 0x7F
            self.in_cgram = False
            if not self._valid_ddram(self.address):
                self._violation("DDRAM address %02x is not in a line" % self.address)
        elif byte & 0x40:
            self.address = byte & 0x3F
            self.in_cgram = True
        elif byte & 0x20:
            eight_bit = bool(byte & 0x10)
            if eight_bit and not self.four_bit:
                self.resets += 1
                if self.resets == 1:
                    busy = FIRST_RESET_US
                elif self.resets == 2:
                    busy = SECOND_RESET_US
            self.four_bit = not eight_bit
            self.two_lines = bool(byte & 0x08)
        elif byte & 0x10:
            self._violation("cursor/display shift is not modelled")
        elif byte & 0x08:
            self.display_on = bool(byte & 0x04)
            self.cursor = bool(byte & 0x02)
            self.blink = bool(byte & 0x01)
        elif byte & 0x04:
            self.increment = bool(byte & 0x02)
            self.shift = bool(byte & 0x01)
            if self.shift:
                self._violation("display shift on entry is not modelled")
        elif byte & 0x02:
            self.address = 0
            self.in_cgram = False
            busy = CLEAR_US
        elif byte & 0x01:
            self.ddram[:] = b" " * len(self.ddram)
            self.address = 0
            self.in_cgram = False
            self.increment = True
            busy = CLEAR_US
        self.busy_until = self.clock.now_us + busy

    def _write_ram(self, byte):
        step = 1 if self.increment else -1
        if self.in_cgram:
            self.cgram[self.address] = byte & 0x1F
            self.address = (self.address + step) & 0x3F
            return
        self.ddram[self.address] = byte
        if not self.two_lines:
            self.address = (self.address + step) % 0x50
        elif step > 0:
            self.address = {0x27: 0x40, 0x67: 0x00}.get(self.address, self.address + 1)
        else:
            self.address = {0x40: 0x27, 0x00: 0x67}.get(self.address, self.address - 1)

    def _valid_ddram(self, address):
        if self.two_lines:
            return address <= 0x27 or 0x40 <= address <= 0x67
        return address <= 0x4F

    def _violation(self, what):
        self.violations.append(what)

    # -- what a person sees ------------------------------------------------------------

    def line_start(self, row):
        return (0x00, 0x40, self.cols, 0x40 + self.cols)[row]

    def screen(self):
        """The visible rows as str (character codes as chr, whatever the glyph)."""
        return [
            "".join(chr(self.ddram[self.line_start(r) + c]) for c in range(self.cols))
            for r in range(self.rows)
        ]

    @property
    def backlight(self):
        return bool(self.pins & BACKLIGHT)

    def glyph(self, slot):
        return bytes(self.cgram[slot * 8 : slot * 8 + 8])

    def ddram_addresses(self):
        """Every DDRAM address set, in order."""
        return [b & 0x7F for rs, b in self.instructions if not rs and b & 0x80]
