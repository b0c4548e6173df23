"""Text lines on a graphic OLED (SSD1306 128x64 and the like) in the 8x8 framebuf font.

    from machine import I2C, Pin
    import ssd1306                      # micropython-lib: mpremote mip install ssd1306
    from stsmeter.oled import TextOLED

    oled = TextOLED(ssd1306.SSD1306_I2C(128, 64, I2C(0, scl=Pin(1), sda=Pin(0))))
    oled.show(("Credit 123.4 kWh", "Relay on"))

`fb` is any framebuffer-style object with `fill(c)`, `fill_rect(x, y, w, h, c)`,
`text(s, x, y, c)` and `show()` - exactly micropython-lib's `ssd1306.SSD1306_I2C`
(a `framebuf.FrameBuffer` whose `show()` sends the whole frame).

Layout: `cols = width // 8` characters per row and `rows = height // line_height` rows;
row r is the band y = r * line_height .. + line_height, its text vertically centred.
The default line_height 8 gives 16 x 8 rows on a 128x64 panel, the meter's 2-line
screens on the top two rows; line_height=16 gives 4 double-spaced rows (a blank pixel
band of 8 between lines), easier to read from a distance.

`show(lines)` compares each line with the one shown in that row (the very object it was
given last time, kept by reference) and redraws only the rows that differ: blank the
band with `fill_rect`, draw the text, and one `fb.show()` at the end if any row changed.
Pass immutable str objects: a bytearray changed in place would compare equal to itself.

What allocates: nothing when no line changed, nor when a changed line is already a str
of at most `cols` characters (compare, `fill_rect`, `text` and micropython-lib's `show`
are allocation-free). A longer line is cut with a slice, which allocates a new str each
time its row is redrawn. Characters outside 32..127 are drawn by framebuf as its
placeholder glyph (one per byte, so UTF-8 text gives one per byte).
"""

from micropython import const

_GLYPH = const(8)  # framebuf's font is 8x8 pixels
_OFF = const(0)
_ON = const(1)


class TextOLED:
    """Rows of 8x8 text on the framebuffer device `fb` of width x height pixels."""

    def __init__(self, fb, width=128, height=64, line_height=8):
        if line_height < _GLYPH or width < _GLYPH or height < line_height:
            raise ValueError("TextOLED: line_height >= 8 and room for one character")
        self.fb = fb
        self.width = width
        self.line_height = line_height
        self.cols = width // _GLYPH
        self.rows = height // line_height
        self._lines = [""] * self.rows  # what each row shows (the caller's objects)
        self.clear()

    def show(self, lines):
        """Show a sequence of str, one per row; redraw changed rows, then one fb.show()."""
        fb = self.fb
        shown = self._lines
        count = len(lines)
        height = self.line_height
        pad = (height - _GLYPH) // 2
        changed = False
        for r in range(self.rows):
            line = lines[r] if r < count else ""
            if line == shown[r]:
                continue
            shown[r] = line
            y = r * height
            fb.fill_rect(0, y, self.width, height, _OFF)
            if len(line) > self.cols:
                line = line[: self.cols]  # allocates: keep lines within cols
            fb.text(line, 0, y + pad, _ON)
            changed = True
        if changed:
            fb.show()

    def clear(self):
        """Blank the whole panel."""
        self.fb.fill(_OFF)
        self.fb.show()
        shown = self._lines
        for r in range(self.rows):
            shown[r] = ""
