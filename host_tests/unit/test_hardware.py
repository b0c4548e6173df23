"""hardware.MatrixKeys: a 4x4 keypad's events as the firmware's keys. A real keypad's A-D
do nothing unless the board's KEYPAD_MAP gives them a key; a long '*' clears."""

import asyncio

from stsmeter.drivers.keypad import LONG
from stsmeter.hardware import Devices, MatrixKeys

KEYS = "123A456B789C*0#D"


class FakeKeypad:
    def __init__(self, labels):
        self.events = [KEYS.index(lab.rstrip("~")) | (LONG if lab.endswith("~") else 0)
                       for lab in labels]

    async def next_event(self):
        return self.events.pop(0)

    def label(self, index):
        return KEYS[index]


def keys_out(labels, key_map=None, count=None):
    mk = MatrixKeys(FakeKeypad(labels), key_map)

    async def take():
        return [await mk.next_key() for _ in range(count)]

    return asyncio.run(take())


def test_a_b_d_do_nothing_without_a_map():
    # A, B, C, D, a long 0 are skipped: only the digits, * and # come out
    assert keys_out(["A", "B", "C", "D", "0~", "1", "*", "#"], count=3) == ["1", "*", "#"]


def test_the_board_maps_c_to_clear_and_a_long_star_clears():
    assert keys_out(["A", "C", "D", "*~", "5"], {"C": "C"}, count=3) == ["C", "C", "5"]


def test_a_map_cannot_make_a_key_the_meter_does_not_have():
    # the simulator's keys (+ - f ! q) are not meter keys: a map to them is ignored
    assert keys_out(["A", "B", "2"], {"A": "+", "B": "q"}, count=1) == ["2"]


def test_devices_has_no_board_keys_unless_given():
    assert Devices(None, None, None).on_key is None
    hook = object()
    assert Devices(None, None, None, on_key=hook).on_key is hook
