"""The supply relay (contactor) behind a machine.Signal, with an optional status LED.

    relay = Relay(Pin(15), active_low=False, led=Pin(14, Pin.OUT))
    relay.set(True)        # supply connected, LED on; True: the level changed
    relay.closed           # True

The relay starts open (no supply): the pin gets its "open" level before it becomes an
output, so an active-low relay does not click on at boot. On the unix port a fake pin
must subclass machine.PinBase: Signal crashes on any other object there.
"""

import machine


class Relay:
    def __init__(self, pin, active_low=False, led=None):
        pin.init(pin.OUT, value=1 if active_low else 0)
        self._signal = machine.Signal(pin, invert=active_low)
        self._led = led  # a Pin or Signal; on = supply connected
        self._closed = False
        if led is not None:
            led.value(0)

    @property
    def closed(self):
        return self._closed

    def set(self, closed):
        """Close (True) or open the relay; returns False when it already was so."""
        closed = bool(closed)
        if closed == self._closed:
            return False
        self._signal.value(1 if closed else 0)
        if self._led is not None:
            self._led.value(1 if closed else 0)
        self._closed = closed
        return True
