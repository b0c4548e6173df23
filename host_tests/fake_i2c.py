"""A stand-in for a `machine.I2C` controller, for host tests and benches.

Runs on CPython and MicroPython (the bench imports it under the unix port), and writing
through it allocates nothing unless `record=True`.

    i2c = FakeI2C()
    i2c.attach(0x27, model)      # model.write(buf) sees every transaction's bytes
    i2c.attach(0x3C)             # a device that acknowledges and discards
    i2c.writeto(0x27, b"...")    # counted in i2c.writes / i2c.bytes

Writing to an address with no attached device raises OSError(19) (ENODEV, what the
ESP32 port raises when nobody acknowledges; RP2040 raises EIO), and so do the next
`fail` writes after setting `i2c.fail = n` (a device that stopped answering).
"""

_ENODEV = 19


class FakeI2C:
    def __init__(self, record=False):
        self.devices = {}
        self.writes = 0  # transactions
        self.bytes = 0  # data bytes (the address byte not counted)
        self.fail = 0
        self.log = [] if record else None  # (addr, bytes) per transaction

    def attach(self, addr, device=None):
        self.devices[addr] = device
        return device

    def scan(self):
        return sorted(self.devices)

    def writeto(self, addr, buf, stop=True):
        self._check(addr)
        self._count(addr, buf)
        device = self.devices[addr]
        if device is not None:
            device.write(buf)
        return len(buf)

    def writevto(self, addr, vector, stop=True):
        """One transaction made of several buffers (as micropython-lib ssd1306 uses)."""
        self._check(addr)
        device = self.devices[addr]
        total = 0
        for i in range(len(vector)):
            buf = vector[i]
            self._count(addr, buf)
            self.writes -= 1  # one transaction, however many pieces
            if device is not None:
                device.write(buf)
            total += len(buf)
        self.writes += 1
        return total

    def _check(self, addr):
        if self.fail:
            self.fail -= 1
            raise OSError(_ENODEV)
        if addr not in self.devices:
            raise OSError(_ENODEV)

    def _count(self, addr, buf):
        self.writes += 1
        self.bytes += len(buf)
        if self.log is not None:
            self.log.append((addr, bytes(buf)))
