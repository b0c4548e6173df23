"""A display that may be missing or fail: the meter runs on without it.

    display = DisplayGuard(lambda: HD44780_I2C(i2c, 0x27), "LCD hd44780 at 0x27 on I2C0")
    display.show(lines)     # never raises; says on the console what is wrong
    display.retry()         # once a second: tries a failed display again every retry_ms

The display is not part of the metering: an LCD that is not connected, does not answer on
I2C or fails half-way must not stop the relay, the credit or the saves. Each change is
printed once on the console (the USB serial): what failed and why, and when it answers
again. On each try the driver is made anew, so its init() runs again, as an LCD that lost
power or a nibble needs. A driver that cannot be imported (ssd1306 not installed) is
reported once and not tried again.
"""

import time

from micropython import const

RETRY_MS = const(5000)


class DisplayGuard:
    def __init__(self, make, name, retry_ms=RETRY_MS):
        self._make = make  # () -> a driver with show(lines); may raise OSError
        self.name = name
        self.retry_ms = retry_ms
        self.device = None
        self.error = None  # why the display is not working (str), None when it works
        self.gave_up = False
        self._lines = ()
        self._tried = 0
        self._start()

    def _start(self):
        self._tried = time.ticks_ms()
        try:
            self.device = self._make()
        except ImportError as e:
            self.gave_up = True
            self._failed("driver missing (%s): install it, see README" % e)
            return False
        except OSError as e:
            self._failed("not answering (%s)" % e)
            return False
        if self.error is not None:
            print("stsmeter: %s answers again" % self.name)
            self.error = None
        return True

    def _failed(self, why):
        self.device = None
        if why != self.error:
            self.error = why
            print("stsmeter: %s %s; the meter runs on without it%s" % (
                self.name, why, "" if self.gave_up else
                ", trying again every %d s" % (self.retry_ms // 1000)))

    def show(self, lines):
        self._lines = lines
        if self.device is None:
            return
        try:
            self.device.show(lines)
        except OSError as e:
            self._failed("failed (%s)" % e)

    def retry(self):
        """Try a failed display again, at most every retry_ms; show the last lines on it."""
        if self.device is not None or self.gave_up:
            return
        if time.ticks_diff(time.ticks_ms(), self._tried) < self.retry_ms:
            return
        if self._start():
            self.show(self._lines)

