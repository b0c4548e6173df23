"""Relay (levels, idempotence, status LED), buzzer playback under asyncio, S0 pulse
counting through fired IRQs and the joule conversion with its carried remainder."""

import asyncio

import machine
import pytest
from hypothesis import given
from hypothesis import strategies as st
from machine import Pin, Signal
from stsmeter.drivers import buzzer, pulses
from stsmeter.drivers.buzzer import ACCEPT, KEY, REJECT, Buzzer
from stsmeter.drivers.pulses import PulseCounter
from stsmeter.drivers.relay import Relay


@pytest.fixture(autouse=True)
def fresh_pins():
    machine.forget_pins()


class RecordingPin(Pin):
    """A shim pin that logs every level it is given and every (re)configuration."""

    def __init__(self, id, *args, **kwargs):
        if not hasattr(self, "log"):
            self.log = []
        super().__init__(id, *args, **kwargs)

    def init(self, mode=-1, pull=-1, *, value=None):
        if mode != -1 or value is not None:  # Pin(id) alone changes nothing
            self.log.append(("init", mode, value))
        super().init(mode, pull, value=value)

    def value(self, v=None):
        if v is not None:
            self.log.append(("value", 1 if v else 0))
        return super().value(v)

    def writes(self):
        return [e[1] for e in self.log if e[0] == "value"]


# --- relay ---

@pytest.mark.parametrize("active_low,open_level,closed_level", [(False, 0, 1), (True, 1, 0)])
def test_relay_levels(active_low, open_level, closed_level):
    pin = Pin("RELAY")
    relay = Relay(pin, active_low=active_low)
    assert pin.mode == Pin.OUT and pin.value() == open_level and relay.closed is False
    assert relay.set(True) is True
    assert pin.value() == closed_level and relay.closed is True
    assert relay.set(False) is True
    assert pin.value() == open_level and relay.closed is False


def test_active_low_relay_never_sees_a_closing_level_at_start():
    pin = RecordingPin("RELAY_AL")
    Relay(pin, active_low=True)
    assert pin.log == [("init", Pin.OUT, 1)]  # the open level comes with the mode change


def test_relay_set_is_idempotent():
    pin = RecordingPin("RELAY_ID")
    relay = Relay(pin)
    assert relay.set(False) is False and pin.writes() == []
    relay.set(True)
    assert relay.set(True) is False and relay.set(1) is False
    assert pin.writes() == [1]
    relay.set(0)
    assert pin.writes() == [1, 0]


def test_led_follows_the_relay():
    led = Pin("LED", Pin.OUT, value=1)
    relay = Relay(Pin("RELAY"), active_low=True, led=led)
    assert led.value() == 0  # supply not connected yet
    relay.set(True)
    assert led.value() == 1
    relay.set(False)
    assert led.value() == 0


def test_led_may_be_an_inverted_signal():
    led_pin = Pin(14, Pin.OUT)
    relay = Relay(Pin(15), led=Signal(led_pin, invert=True))
    assert led_pin.value() == 1  # active-low LED: off
    relay.set(True)
    assert led_pin.value() == 0


# --- buzzer ---

def record_sleeps(monkeypatch, pin):
    """Replace asyncio.sleep_ms: log (pin level during the sleep, ms) and yield at once."""
    played = []

    async def fake_sleep_ms(ms):
        played.append((pin.value(), ms))
        await asyncio.sleep(0)

    monkeypatch.setattr(asyncio, "sleep_ms", fake_sleep_ms)
    return played


def play(bz, *kinds, settle=200):
    async def main():
        task = asyncio.create_task(bz.run())
        for kind in kinds:
            bz.beep(kind)
        for _ in range(settle):
            await asyncio.sleep(0)
        task.cancel()

    asyncio.run(main())


@pytest.mark.parametrize("kind", [KEY, ACCEPT, REJECT])
def test_buzzer_plays_the_pattern_on_off_and_ends_silent(monkeypatch, kind):
    pin = Pin("BUZZ", Pin.OUT, value=1)
    bz = Buzzer(pin)
    assert pin.value() == 0
    played = record_sleeps(monkeypatch, pin)
    play(bz, kind)
    steps = buzzer._PATTERNS[kind]
    assert played == [(1 - i % 2, ms) for i, ms in enumerate(steps)]
    assert pin.value() == 0


def test_buzzer_patterns_are_distinct():
    total = [sum(buzzer._PATTERNS[k]) for k in (KEY, ACCEPT, REJECT)]
    assert total[0] < total[1] < total[2]  # a key click is the shortest, a reject the longest
    assert len(buzzer._PATTERNS[KEY]) == 1 and len(buzzer._PATTERNS[ACCEPT]) > 1


def test_beep_does_not_block_and_beeps_during_playback_follow(monkeypatch):
    pin = RecordingPin("BUZZ2")
    bz = Buzzer(pin)
    played = []

    async def fake_sleep_ms(ms):
        played.append((pin.value(), ms))
        if len(played) == 1:  # while ACCEPT's first tone sounds
            bz.beep(KEY)  # superseded by the next one before it can start
            bz.beep(REJECT)
        await asyncio.sleep(0)

    monkeypatch.setattr(asyncio, "sleep_ms", fake_sleep_ms)

    async def main():
        task = asyncio.create_task(bz.run())
        bz.beep(ACCEPT)
        assert pin.value() == 0 and played == []  # beep() only asks
        for _ in range(100):
            await asyncio.sleep(0)
        task.cancel()

    asyncio.run(main())
    expected = buzzer._PATTERNS[ACCEPT] + buzzer._PATTERNS[REJECT]
    assert [ms for _, ms in played] == list(expected)
    assert pin.writes()[-1] == 0


def test_buzzer_real_time_with_asyncio_sleep_ms():
    pin = RecordingPin("BUZZ3")
    bz = Buzzer(pin)

    async def main():
        task = asyncio.create_task(bz.run())
        bz.beep(KEY)
        await asyncio.sleep_ms(5)
        on = pin.value()
        await asyncio.sleep_ms(sum(buzzer._PATTERNS[KEY]) + 100)
        task.cancel()
        return on

    assert asyncio.run(main()) == 1
    assert pin.writes() == [1, 0]


def test_unknown_beep_kind_is_refused():
    with pytest.raises(ValueError):
        Buzzer(Pin("BUZZ4")).beep(3)


# --- S0 pulses ---

def test_pulses_counted_through_falling_edge_irqs():
    pin = Pin("S0")
    pc = PulseCounter(pin, 1000)
    assert (pin.mode, pin.pull) == (Pin.IN, Pin.PULL_UP)
    assert pin._handler is pc._handler  # the one bound method made in __init__
    assert pc.take() == 0
    pin.pulse(5)
    pin.drive(0)  # a sixth pulse has begun: its falling edge counts
    assert pc.take() == 6
    pin.drive(1)  # the rising edge does not
    assert pc.take() == 0


def test_pulses_on_the_rising_edge_when_asked():
    pin = Pin("S0R")
    pc = PulseCounter(pin, 1000, trigger=Pin.IRQ_RISING)
    pin.drive(0)
    assert pc.take() == 0
    pin.drive(1)
    assert pc.take() == 1


def test_pulses_while_irqs_are_disabled_are_counted_when_enabled():
    pin = Pin("S0D")
    pc = PulseCounter(pin, 1000)
    state = machine.disable_irq()
    pin.pulse(3)
    assert pc.take() == 0
    machine.enable_irq(state)
    assert pc.take() == 3


class RacyCounter(PulseCounter):
    """Fires one pulse IRQ in the middle of take(): right after it has read the count."""

    race = False

    @property
    def _count(self):
        seen = self.__dict__["count"]
        if self.race:
            self.race = False
            self._pin.pulse()  # the handler runs now and bumps the count
        return seen

    @_count.setter
    def _count(self, value):
        self.__dict__["count"] = value


def test_pulse_arriving_during_take_is_not_lost():
    pin = Pin("S0T")
    pc = RacyCounter(pin, 1000)
    pin.pulse(2)
    pc.race = True
    first = pc.take()
    assert first == 2 and pc.race is False  # the racing pulse came after the read
    assert first + pc.take() == 3


def test_pulse_counter_wraps_without_loss():
    pin = Pin("S0W")
    pc = PulseCounter(pin, 1000)
    pc._count = pc._taken = pulses._MASK - 2  # as after 2**24 - 3 pulses
    pin.pulse(5)
    assert pc._count == 2 and pc.take() == 5


@pytest.mark.parametrize("imp,pulses_,joules", [(1000, 5, 18000), (3200, 2, 2250),
                                               (10000, 1, 360)])
def test_joules_exact_when_divisible(imp, pulses_, joules):
    assert PulseCounter(Pin("S0J"), imp).joules(pulses_) == joules


def test_joules_carry_the_remainder():
    pc = PulseCounter(Pin("S0C"), 6400)  # 562.5 J per pulse
    assert [pc.joules(1) for _ in range(4)] == [562, 563, 562, 563]
    pc = PulseCounter(Pin("S0C7"), 7)  # 514285 5/7 J per pulse
    assert sum(pc.joules(1) for _ in range(7)) == 3_600_000  # one kWh, not a joule lost


@given(st.integers(1, 20000), st.lists(st.integers(0, 500), max_size=40))
def test_joules_never_lose_energy(imp, batches):
    machine.forget_pins()
    pc = PulseCounter(Pin("S0P"), imp)
    total = sum(pc.joules(n) for n in batches)
    assert total == sum(batches) * 3_600_000 // imp


def test_bad_imp_per_kwh():
    with pytest.raises(ValueError):
        PulseCounter(Pin("S0B"), 0)
