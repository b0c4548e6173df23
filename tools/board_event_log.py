"""Print a board's event log on the PC, oldest first; runs on the board, through mpremote:

    mpremote connect /dev/ttyACM0 run tools/board_event_log.py

It stops the meter (mpremote interrupts it) and opens the meter's state as the firmware
does, which counts as one power-on; `mpremote reset` starts the meter again. One line per
event: time (UTC), kind, code, value (eventlog.py says what code and value mean).
"""

import board
from stsmeter import app, eventlog
from stsmeter.hardware import Devices
from stsmeter.jobs import clock

m = app.Firmware(board, Devices(None, None, None)).meter
for t, kind, code, value in m.log.entries():
    print(clock.iso(m.cfg, t), eventlog.KINDS[kind], code, value)
