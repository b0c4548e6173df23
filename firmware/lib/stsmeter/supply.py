"""Over-power protection and the power limits set by management tokens.

A load above the maximum power limit (MPL) for `overload_s` trips the supply; it
reconnects by itself after a delay that doubles with each trip (`delay_s` .. `delay_max_s`)
and the trip count is forgotten after `calm_s` of supply without overload. An MPL of 0
means no limit [U]. The phase unbalance limit (MPPUL) is stored and shown only: this is a
single-phase meter. Times are meter-clock seconds; the wait for a reconnection runs in the
meter's running time, like the lockout: a restart resumes it with what was left at the
last save (startup.py), so a clock moved forward at the restart does not end it.
"""

import struct

from micropython import const

NONE = const(-1)
_FMT = "<IIHHBI"  # MPL W, MPPUL W, tariff rate, water meter factor, trips, reconnect at


class Supply:
    def __init__(self, overload_s=5, delay_s=30, delay_max_s=1920, calm_s=600):
        self.overload_s = overload_s
        self.delay_s = delay_s
        self.delay_max_s = delay_max_s
        self.calm_s = calm_s
        self.mpl_w = 0
        self.mppul_w = 0
        self.tariff_rate = 0  # opaque (spec 10.1 [U])
        self.water_factor = 0  # opaque
        self.trips = 0
        self.reconnect_at = 0  # while now < this, tripped
        self._over_since = NONE  # not persisted: a power cut restarts the measurement
        self._calm_since = NONE

    def tripped(self, now):
        return now < self.reconnect_at

    def delay(self):
        d = self.delay_s
        for _ in range(1, self.trips):
            d *= 2
            if d >= self.delay_max_s:
                return self.delay_max_s
        return d

    def overloaded(self, watts):
        return self.mpl_w > 0 and watts > self.mpl_w

    def next_change(self, now, watts, supplying):
        """Seconds until this module changes something at this load (None: nothing due)."""
        if self.tripped(now):
            return self.reconnect_at - now
        if not supplying:
            return None
        if self.overloaded(watts):
            since = now if self._over_since == NONE else self._over_since
            return max(0, since + self.overload_s - now)
        if self.trips:
            since = now if self._calm_since == NONE else self._calm_since
            return max(0, since + self.calm_s - now)
        return None

    def update(self, now, watts, supplying):
        """Run the overload and calm timers; True when this call tripped the supply."""
        if not supplying or self.tripped(now):
            self._over_since = self._calm_since = NONE
            return False
        if not self.overloaded(watts):
            self._over_since = NONE
            if self.trips:
                if self._calm_since == NONE:
                    self._calm_since = now
                elif now - self._calm_since >= self.calm_s:
                    self.trips = 0
                    self._calm_since = NONE
            return False
        self._calm_since = NONE
        if self._over_since == NONE:
            self._over_since = now
        if now - self._over_since < self.overload_s:
            return False
        self.trips = min(self.trips + 1, 255)
        self.reconnect_at = now + self.delay()
        self._over_since = NONE
        return True

    SIZE = struct.calcsize(_FMT)

    def save(self, buf, off):
        struct.pack_into(_FMT, buf, off, self.mpl_w, self.mppul_w, self.tariff_rate,
                         self.water_factor, self.trips, max(0, self.reconnect_at))

    def load(self, buf, off):
        (self.mpl_w, self.mppul_w, self.tariff_rate, self.water_factor, self.trips,
         self.reconnect_at) = struct.unpack_from(_FMT, buf, off)
