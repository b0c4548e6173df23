"""Board entry point: run the meter firmware with this board's pin map (board.py).

Ctrl-C from the USB serial is off from the first line: a board in production mode (the
`production` mark, stsmeter/production.py) keeps it off and never comes back to the REPL;
a development board turns it back on at once, so mpremote stops the meter as usual.
"""

import micropython

micropython.kbd_intr(-1)
try:
    open("production").close()
except OSError:
    micropython.kbd_intr(3)  # a development board

import board  # noqa: E402
from stsmeter import app  # noqa: E402

app.main(board)
