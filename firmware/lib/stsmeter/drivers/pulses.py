"""S0 pulse input (IEC 62053-31): pulses counted in an IRQ, converted to joules exactly.

    pc = PulseCounter(Pin(22), imp_per_kwh=1000)
    energy_j = pc.joules(pc.take())     # pulses since the last take(), in J

The IRQ handler only bumps a free-running counter (a bound method made once, so the IRQ
allocates nothing). take() never writes that counter, it remembers where it read last:
a pulse arriving mid-take() is simply counted next time, so no IRQ has to be disabled
and no pulse can be lost. The counter wraps at 2**24, far beyond any take() interval.
"""

from micropython import const

_J_PER_KWH = const(3600000)
_MASK = const(0xFFFFFF)


class PulseCounter:
    def __init__(self, pin, imp_per_kwh, trigger=None):
        if imp_per_kwh <= 0:
            raise ValueError("imp_per_kwh")
        self.imp_per_kwh = imp_per_kwh
        self._whole = _J_PER_KWH // imp_per_kwh  # whole joules per pulse
        self._part = _J_PER_KWH % imp_per_kwh  # and imp_per_kwh-ths of a joule
        self._carry = 0  # imp_per_kwh-ths of a joule not yet returned by joules()
        self._count = 0  # written only by the IRQ handler
        self._taken = 0  # _count at the last take(), written only by take()
        self._handler = self._irq
        self._pin = pin
        pin.init(pin.IN, pin.PULL_UP)  # S0 is an open collector pulling low
        pin.irq(self._handler, pin.IRQ_FALLING if trigger is None else trigger)

    def _irq(self, pin):
        self._count = (self._count + 1) & _MASK

    def take(self):
        """Pulses since the last call."""
        now = self._count
        n = (now - self._taken) & _MASK
        self._taken = now
        return n

    def joules(self, pulses):
        """Energy of `pulses` in J; the fraction of a joule is carried to the next call."""
        part = pulses * self._part + self._carry
        self._carry = part % self.imp_per_kwh
        return pulses * self._whole + part // self.imp_per_kwh
