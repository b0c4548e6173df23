"""CPython stand-in for MicroPython's `machine`: simulated pins, Signal, I2C, IRQ masking.

As on a board, Pin(id) is one object per id (forget_pins() starts afresh, for tests).
What tests add: `pin.drive(level)` sets an input from outside and fires the IRQ handler
on a matching edge; `reader=` makes an input compute its level (a simulated circuit);
`pin.mode` / `pin.pull` show the configuration; I2C buses keep `traffic[addr]`, the list
of byte strings written to each address.
"""

UNIQUE_ID = bytes.fromhex("e6614104034f2b2d")  # fixed: a stable meter serial on the PC

_pins = {}
_irq_disabled = False
_irq_pending = []  # handler calls held back while IRQs are disabled
_freq = 125_000_000


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_FALLING = 4
    IRQ_RISING = 8

    def __new__(cls, id, *args, **kwargs):
        pin = _pins.get(id)
        if pin is None:
            pin = _pins[id] = super().__new__(cls)
            pin.id = id
            pin.mode = None  # not configured yet
            pin.pull = None
            pin.reader = None
            pin._out = 0  # output latch
            pin._ext = None  # level driven from outside; None: only the pull decides
            pin._handler = None
            pin._trigger = 0
        return pin

    def __init__(self, id, mode=-1, pull=-1, *, value=None, reader=None):
        self.init(mode, pull, value=value)
        if reader is not None:
            self.reader = reader

    def init(self, mode=-1, pull=-1, *, value=None):
        if value is not None:
            self._out = 1 if value else 0
        if mode != -1:
            self.mode = mode
        if pull != -1:
            self.pull = pull

    def __repr__(self):
        return "Pin(%r)" % (self.id,)

    def _input(self):
        if self.reader is not None:
            return 1 if self.reader() else 0
        if self._ext is not None:
            return self._ext
        return 1 if self.pull == Pin.PULL_UP else 0

    def value(self, v=None):
        if v is not None:
            self._out = 1 if v else 0
            return None
        if self.mode == Pin.OUT or (self.mode == Pin.OPEN_DRAIN and not self._out):
            return self._out
        return self._input()

    __call__ = value

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def toggle(self):
        self.value(not self._out)

    def irq(self, handler=None, trigger=IRQ_FALLING | IRQ_RISING, **kwargs):
        self._handler = handler
        self._trigger = trigger

    def drive(self, level):
        """Tests: set the level outside the chip; fires the IRQ handler on a matching edge."""
        before = self._input()
        self._ext = 1 if level else 0
        after = self._input()
        if self._handler is None or before == after:
            return
        edge = Pin.IRQ_RISING if after else Pin.IRQ_FALLING
        if self._trigger & edge:
            if _irq_disabled:
                _irq_pending.append((self._handler, self))
            else:
                self._handler(self)

    def pulse(self, count=1):
        """Tests: `count` low pulses on a pulled-up input (high, low, high)."""
        for _ in range(count):
            self.drive(0)
            self.drive(1)


class Signal:
    def __init__(self, pin, invert=False):
        self._pin = pin
        self._invert = 1 if invert else 0

    def value(self, v=None):
        if v is None:
            return self._pin.value() ^ self._invert
        self._pin.value((1 if v else 0) ^ self._invert)
        return None

    __call__ = value

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


class I2C:
    DEVICES = (0x27, 0x3C)  # found on a new bus: the displays of boards/

    def __init__(self, id=0, *, scl=None, sda=None, freq=400_000, timeout=50_000):
        self.id = id
        self.scl = scl
        self.sda = sda
        self.freq = freq
        self.devices = set(self.DEVICES)
        self.traffic = {}

    def _ack(self, addr):
        if addr not in self.devices:
            raise OSError(19, "ENODEV")  # no ACK, as rp2 reports it

    def scan(self):
        return sorted(self.devices)

    def writeto(self, addr, buf, stop=True):
        self._ack(addr)
        self.traffic.setdefault(addr, []).append(bytes(buf))
        return len(buf)

    def writevto(self, addr, vector, stop=True):
        return self.writeto(addr, b"".join(bytes(b) for b in vector), stop)

    def writeto_mem(self, addr, memaddr, buf, *, addrsize=8):
        self.writeto(addr, memaddr.to_bytes(addrsize // 8, "big") + bytes(buf))

    def readfrom_into(self, addr, buf, stop=True):
        self._ack(addr)
        buf[:] = bytes(len(buf))

    def readfrom(self, addr, nbytes, stop=True):
        self._ack(addr)
        return bytes(nbytes)

    def readfrom_mem(self, addr, memaddr, nbytes, *, addrsize=8):
        return self.readfrom(addr, nbytes)


class SoftI2C(I2C):
    def __init__(self, scl, sda, *, freq=400_000, timeout=50_000):
        super().__init__(-1, scl=scl, sda=sda, freq=freq, timeout=timeout)


def forget_pins():
    """Tests: drop every Pin, as after a power cycle."""
    global _irq_disabled
    _pins.clear()
    _irq_pending.clear()
    _irq_disabled = False


def disable_irq():
    global _irq_disabled
    state = _irq_disabled
    _irq_disabled = True
    return state


def enable_irq(state=False):
    global _irq_disabled
    _irq_disabled = state
    while not _irq_disabled and _irq_pending:
        handler, pin = _irq_pending.pop(0)
        handler(pin)


def unique_id():
    return UNIQUE_ID


def freq(hz=None):
    global _freq
    if hz is None:
        return _freq
    _freq = hz
    return None


def idle():
    pass


def reset():
    """A reboot ends the program: raises SystemExit."""
    raise SystemExit("machine.reset()")
