"""The meter screen drawn as a text box on the serial console (or a PC terminal).

    from stsmeter.console_display import ConsoleDisplay

    screen = ConsoleDisplay()            # sys.stdout, 16x2
    screen.show(("Credit 123.4 kWh", "Relay on"))

prints

    +----------------+
    |Credit 123.4 kWh|
    |Relay on        |
    +----------------+

and prints again only when the contents change. Lines are fitted like the LCD's: short
ones padded with spaces, long ones cut, missing rows blank, characters outside ASCII
32..126 shown as "?".

This one allocates (it builds the box as a new str on every call): it is for people
watching a console, not for the refresh path of a real display.
"""

import sys

_PLACEHOLDER = "?"


class ConsoleDisplay:
    """A rows x cols text screen written to `stream` (default sys.stdout)."""

    def __init__(self, stream=None, rows=2, cols=16):
        self.stream = sys.stdout if stream is None else stream
        self.rows = rows
        self.cols = cols
        self._border = "+" + "-" * cols + "+\n"
        self._screen = None  # the box last printed; None: nothing printed yet

    def show(self, lines):
        """Print the box if `lines` (a sequence of str or bytes) differs from the last one."""
        box = self.render(lines)
        if box != self._screen:
            self._screen = box
            self.stream.write(box)
            flush = getattr(self.stream, "flush", None)
            if flush is not None:
                flush()

    def clear(self):
        """Show a blank screen (printed unless the screen is blank already)."""
        self.show(())

    def render(self, lines):
        """The box for `lines`, as one str ending in a newline."""
        parts = [self._border]
        for r in range(self.rows):
            line = lines[r] if r < len(lines) else ""
            parts.append("|" + self._fit(line) + "|\n")
        parts.append(self._border)
        return "".join(parts)

    def _fit(self, line):
        text = isinstance(line, str)
        chars = []
        for c in range(min(len(line), self.cols)):
            code = ord(line[c]) if text else line[c]
            chars.append(chr(code) if 32 <= code <= 126 else _PLACEHOLDER)
        return "".join(chars) + " " * (self.cols - len(chars))
