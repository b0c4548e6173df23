"""Board pin maps (boards/*.py) against their Wokwi wiring (boards/wokwi/*/diagram.json):
every pin the firmware uses goes to the right part, and each board's pin rules hold."""

import ast
import importlib.util
import json
import tomllib

import machine
import pytest
from conftest import ROOT

BOARDS_DIR = ROOT / "boards"

# per board: Wokwi part type, how a GPIO is named on it, usable GPIOs, epoch
BOARDS = {
    "rpi_pico": {
        "mcu": "wokwi-pi-pico", "pin": "GP%d", "epoch": 1970,
        "gpios": set(range(23)) | {26, 27, 28},
    },
    "esp32_devkitc": {
        "mcu": "board-esp32-devkit-c-v4", "pin": "%d", "epoch": 2000,
        # not 6-11 (SPI flash) nor 1/3 (REPL UART); 20, 24, 28-31 do not exist
        "gpios": set(range(40)) - {1, 3, 6, 7, 8, 9, 10, 11, 20, 24, 28, 29, 30, 31},
    },
}
ESP32_INPUT_ONLY = set(range(34, 40))
PICO_I2C = {0: ({0, 4, 8, 12, 16, 20}, {1, 5, 9, 13, 17, 21}),
            1: ({2, 6, 10, 14, 18, 26}, {3, 7, 11, 15, 19, 27})}  # I2C id: (SDA, SCL)
NAMES = {"NAME": str, "KEYPAD_ROWS": tuple, "KEYPAD_COLS": tuple, "KEYPAD_KEYS": str,
         "RELAY_PIN": int, "RELAY_ACTIVE_LOW": bool, "LED_PIN": (int, str),
         "BUZZER_PIN": (int, type(None)), "I2C_ID": int, "I2C_SDA": int, "I2C_SCL": int,
         "DISPLAY": str, "DISPLAY_ADDR": int, "PULSE_PIN": int, "PULSE_IMP_PER_KWH": int,
         "EPOCH_YEAR": int}
DISPLAY_PARTS = {"hd44780": ("wokwi-lcd1602", "0x27"), "ssd1306": ("board-ssd1306", "0x3c")}
DEFAULT_KEYS = "123A456B789C*0#D"


def load_board(name):
    spec = importlib.util.spec_from_file_location("board_" + name, BOARDS_DIR / (name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Diagram:
    """diagram.json as nets: wires join pins; resistors also conduct for ground checks."""

    def __init__(self, path):
        self.data = json.loads(path.read_text())
        self.parts = {p["id"]: p for p in self.data["parts"]}
        self._wire = {}
        self._dc = {}
        for a, b, *_ in self.data["connections"]:
            self._join(self._wire, a, b)
            self._join(self._dc, a, b)
        for pid, part in self.parts.items():
            if part["type"] == "wokwi-resistor":
                self._join(self._dc, pid + ":1", pid + ":2")

    @staticmethod
    def _find(parent, x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def _join(self, parent, a, b):
        parent[self._find(parent, a)] = self._find(parent, b)

    def wired(self, a, b):
        return self._find(self._wire, a) == self._find(self._wire, b)

    def net(self, a):
        root = self._find(self._wire, a)
        return {x for x in self._wire if self._find(self._wire, x) == root}

    def grounded(self, a, mcu):
        root = self._find(self._dc, a)
        return any(self._find(self._dc, x) == root for x in self._dc
                   if x.startswith(mcu + ":GND"))

    def powered(self, a, mcu):
        return any(self.wired(a, "%s:%s" % (mcu, p)) for p in ("3V3", "5V", "VBUS", "VSYS"))

    def part(self, type_):
        found = [p for p in self.parts.values() if p["type"] == type_]
        assert len(found) == 1, "expected one %s, found %d" % (type_, len(found))
        return found[0]


@pytest.fixture(params=sorted(BOARDS))
def board(request):
    machine.forget_pins()
    name = request.param
    spec = BOARDS[name]
    diagram = Diagram(BOARDS_DIR / "wokwi" / name / "diagram.json")
    mcu = diagram.part(spec["mcu"])["id"]
    return name, load_board(name), spec, diagram, mcu


def gpio_roles(b):
    roles = [("row", n) for n in b.KEYPAD_ROWS] + [("col", n) for n in b.KEYPAD_COLS]
    roles += [("relay", b.RELAY_PIN), ("sda", b.I2C_SDA), ("scl", b.I2C_SCL),
              ("pulse", b.PULSE_PIN)]
    if isinstance(b.LED_PIN, int):
        roles.append(("led", b.LED_PIN))
    if b.BUZZER_PIN is not None:
        roles.append(("buzzer", b.BUZZER_PIN))
    return roles


def test_module_is_constants_only(board):
    name, b, spec, _, _ = board
    tree = ast.parse((BOARDS_DIR / (name + ".py")).read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            assert node.name in ("device_id", "flash")  # the chip's ID, the FS's flash
        elif isinstance(node, ast.Assign):
            ast.literal_eval(node.value)  # a literal, nothing computed
        else:
            assert isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    for key, kind in NAMES.items():
        assert isinstance(getattr(b, key), kind), key
    assert b.NAME == name and b.EPOCH_YEAR == spec["epoch"]
    assert b.device_id() == machine.unique_id()


def test_pins_exist_and_are_used_once(board):
    _, b, spec, _, _ = board
    pins = [n for _, n in gpio_roles(b)]
    assert len(pins) == len(set(pins))
    assert set(pins) <= spec["gpios"]
    assert len(b.KEYPAD_KEYS) == len(b.KEYPAD_ROWS) * len(b.KEYPAD_COLS)
    assert len(b.KEYPAD_ROWS) == 4 and len(b.KEYPAD_COLS) in (3, 4)
    assert b.DISPLAY in ("hd44780", "ssd1306", "console") and b.PULSE_IMP_PER_KWH > 0


def test_esp32_pulled_up_and_driven_pins_avoid_the_input_only_gpios():
    b = load_board("esp32_devkitc")
    assert not set(b.KEYPAD_COLS) & ESP32_INPUT_ONLY  # columns need internal pull-ups
    assert not {n for _, n in gpio_roles(b)} & ESP32_INPUT_ONLY  # the rest drive or pull up
    assert not set(b.KEYPAD_ROWS + b.KEYPAD_COLS) & {0, 2, 5, 12, 15}  # strapping pins


def test_pico_i2c_pins_belong_to_the_bus():
    b = load_board("rpi_pico")
    sda, scl = PICO_I2C[b.I2C_ID]
    assert b.I2C_SDA in sda and b.I2C_SCL in scl


def test_every_pin_is_wired_to_its_part(board):
    _, b, spec, d, mcu = board
    gpio = lambda n: "%s:%s" % (mcu, spec["pin"] % n)  # noqa: E731
    keypad = d.part("wokwi-membrane-keypad")["id"]
    for i, n in enumerate(b.KEYPAD_ROWS):
        assert d.wired(gpio(n), "%s:R%d" % (keypad, i + 1)), ("row", i, n)
    for i, n in enumerate(b.KEYPAD_COLS):
        assert d.wired(gpio(n), "%s:C%d" % (keypad, i + 1)), ("col", i, n)
    relay = d.part("wokwi-relay-module")["id"]
    assert d.wired(gpio(b.RELAY_PIN), relay + ":IN")
    display_type, _ = DISPLAY_PARTS[b.DISPLAY]
    display = d.part(display_type)["id"]
    assert d.wired(gpio(b.I2C_SDA), display + ":SDA")
    assert d.wired(gpio(b.I2C_SCL), display + ":SCL")
    leds = [p["id"] for p in d.parts.values() if p["type"] == "wokwi-led"]
    assert any(d.wired(gpio(b.LED_PIN), led + ":A") for led in leds)
    buzzer = d.part("wokwi-buzzer")["id"]
    assert d.wired(gpio(b.BUZZER_PIN), buzzer + ":2")  # the positive side
    button = d.part("wokwi-pushbutton")["id"]
    assert d.wired(gpio(b.PULSE_PIN), button + ":1.l") or d.wired(gpio(b.PULSE_PIN),
                                                                    button + ":1.r")


def test_no_gpio_is_wired_to_anything_else(board):
    _, b, spec, d, mcu = board
    named = {"%s:%s" % (mcu, spec["pin"] % n) for _, n in gpio_roles(b)}
    for pin in named:
        others = {x for x in d.net(pin) if x.startswith(mcu + ":")}
        assert others == {pin}, "short between %s" % sorted(others)
    gpio_names = {spec["pin"] % n for n in range(40)}
    used = {x for a, b_, *_ in d.data["connections"] for x in (a, b_)
            if x.startswith(mcu + ":") and x.split(":", 1)[1] in gpio_names}
    assert used <= named  # no wire to a GPIO the pin map does not name


def test_parts_match_the_pin_map(board):
    _, b, _, d, mcu = board
    kp = d.part("wokwi-membrane-keypad")["attrs"]
    assert kp.get("columns", "4") == str(len(b.KEYPAD_COLS))
    keys = kp.get("keys", list(DEFAULT_KEYS))
    assert "".join(keys) == b.KEYPAD_KEYS
    relay = d.part("wokwi-relay-module")["attrs"]
    assert (relay.get("transistor", "npn") == "pnp") == b.RELAY_ACTIVE_LOW
    display_type, default_addr = DISPLAY_PARTS[b.DISPLAY]
    attrs = d.part(display_type)["attrs"]
    assert int(attrs.get("i2cAddress", default_addr), 16) == b.DISPLAY_ADDR
    if display_type == "wokwi-lcd1602":
        assert attrs.get("pins") == "i2c"
    assert d.part("wokwi-pushbutton")["attrs"].get("bounce") == "0"  # one press, one pulse


def test_power_and_ground(board):
    _, b, _, d, mcu = board
    relay = d.part("wokwi-relay-module")["id"]
    display = d.part(DISPLAY_PARTS[b.DISPLAY][0])["id"]
    for part in (relay, display):
        assert d.powered(part + ":VCC", mcu) and d.grounded(part + ":GND", mcu)
    assert d.grounded(d.part("wokwi-buzzer")["id"] + ":1", mcu)
    assert d.grounded(d.part("wokwi-pushbutton")["id"] + ":2.l", mcu)
    for led in (p["id"] for p in d.parts.values() if p["type"] == "wokwi-led"):
        assert d.grounded(led + ":C", mcu)  # through its resistor


def test_wokwi_toml(board):
    name, _, _, _, _ = board
    with open(BOARDS_DIR / "wokwi" / name / "wokwi.toml", "rb") as f:
        cfg = tomllib.load(f)["wokwi"]
    assert cfg["version"] == 1 and cfg["rfc2217ServerPort"] == 4000
    assert cfg["firmware"].startswith("../../../build/") and cfg["elf"] == cfg["firmware"]


def test_display_answers_on_the_shim_bus(board):
    _, b, _, _, _ = board
    i2c = machine.I2C(b.I2C_ID, sda=machine.Pin(b.I2C_SDA), scl=machine.Pin(b.I2C_SCL))
    if b.DISPLAY != "console":
        assert b.DISPLAY_ADDR in i2c.scan()
    i2c.writeto(b.DISPLAY_ADDR, b"\x00\xaf")
    i2c.writevto(b.DISPLAY_ADDR, (b"\x40", bytearray(b"\x01\x02")))
    assert i2c.traffic[b.DISPLAY_ADDR] == [b"\x00\xaf", b"\x40\x01\x02"]
    with pytest.raises(OSError):
        i2c.writeto(0x50, b"\x00")  # nothing there: no ACK


# -- the README's wiring tables against the pin maps ----------------------------------

PICO_PINOUT = ["GP0", "GP1", "GND", "GP2", "GP3", "GP4", "GP5", "GND", "GP6", "GP7", "GP8",
               "GP9", "GND", "GP10", "GP11", "GP12", "GP13", "GND", "GP14", "GP15", "GP16",
               "GP17", "GND", "GP18", "GP19", "GP20", "GP21", "GND", "GP22", "RUN", "GP26",
               "GP27", "GND", "GP28", "ADC_VREF", "3V3(OUT)", "3V3_EN", "GND", "VSYS", "VBUS"]
WIRED = ["KEYPAD_ROWS[%d]" % i for i in range(4)] + ["KEYPAD_COLS[%d]" % i for i in range(4)] + [
    "I2C_SDA", "I2C_SCL", "RELAY_PIN", "LED_PIN", "BUZZER_PIN", "PULSE_PIN"]


def wiring_rows(name):
    """The README's wiring table of a board: {constant: (part, part pin, board pin, notes)}."""
    import re

    text = (ROOT / "README.md").read_text()
    section = text.split("### Wiring")[1].split("\n### ")[0]
    part = section.split("(`boards/%s.py`)" % name)[1].split("\n\n", 2)[1]
    rows = {}
    for line in part.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        m = re.fullmatch(r"`([A-Z0-9_]+(\[\d\])?)`", cells[3]) if len(cells) == 5 else None
        if m:
            rows[m.group(1)] = (cells[0], cells[1], cells[2], cells[4])
    return rows


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_readme_wiring_table_matches_the_pin_map(name):
    board = load_board(name)
    rows = wiring_rows(name)
    assert sorted(rows) == sorted(WIRED)  # every pin the firmware uses, nothing else
    for const, (part, part_pin, board_pin, notes) in rows.items():
        attr, _, index = const.partition("[")
        gpio = getattr(board, attr)
        if index:
            gpio = gpio[int(index[:-1])]
        if name == "rpi_pico":
            label, physical = board_pin.split(" (pin ")
            assert label == "GP%d" % gpio, (const, board_pin)
            assert PICO_PINOUT[int(physical.rstrip(")")) - 1] == label, (const, board_pin)
        else:
            assert board_pin == "GPIO%d" % gpio, (const, board_pin)
        if attr.startswith("KEYPAD"):  # the keys of that row or column, from KEYPAD_KEYS
            k = int(index[:-1])
            keys = board.KEYPAD_KEYS
            want = keys[4 * k:4 * k + 4] if attr == "KEYPAD_ROWS" else keys[k::4]
            assert part_pin.endswith("(keys %s)" % " ".join(want)), (const, part_pin)
        if attr == "RELAY_PIN":
            assert notes.startswith("active-low" if board.RELAY_ACTIVE_LOW else "active-high")
        if attr == "I2C_SDA":
            assert "(0x%02X)" % board.DISPLAY_ADDR in part, part
