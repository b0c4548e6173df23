"""Board entry point: run the meter firmware with this board's pin map (board.py)."""

import sys

import board
from stsmeter import app

try:
    app.run(board)
except KeyboardInterrupt:
    pass
except Exception as e:  # on a board: show it on the console, then start again
    sys.print_exception(e)
    if board.NAME != "sim":
        import machine

        machine.reset()
    raise
