"""Display drivers: HD44780 over PCF8574 against a model of the LCD, TextOLED against a
recording framebuffer, the console box, and zero allocation under MicroPython."""

import io
import json
import re
import time

import pytest
from conftest import ROOT, TOOLS, run_micropython, run_wasm
from fake_hd44780 import CLEAR_US, EXEC_US, FIRST_RESET_US, POWER_ON_US, SECOND_RESET_US
from fake_hd44780 import Clock, FakeHD44780
from fake_i2c import FakeI2C
from hypothesis import given, settings
from hypothesis import strategies as st
from stsmeter.drivers.console_display import ConsoleDisplay
from stsmeter.drivers.display_guard import DisplayGuard
from stsmeter.drivers.lcd_hd44780 import HD44780_I2C
from stsmeter.drivers.oled import TextOLED

CLOCK = Clock()


@pytest.fixture(autouse=True, scope="module")
def simulated_sleep():
    """time.sleep_ms advances the models' clock instead of sleeping."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(time, "sleep_ms", CLOCK.sleep_ms)
        yield


def make_lcd(rows=2, cols=16, addr=0x27, byte_us=22.5, **kw):
    bus = FakeI2C(record=True)
    model = bus.attach(addr, FakeHD44780(rows, cols, clock=CLOCK, byte_us=byte_us))
    lcd = HD44780_I2C(bus, addr=addr, rows=rows, cols=cols, **kw)
    return lcd, model, bus


def shown(model):
    assert model.violations == []
    return model.screen()


# -- HD44780: initialisation ------------------------------------------------------------


def test_init_nibbles_follow_the_datasheet():
    lcd, model, bus = make_lcd()
    nibbles = [(rs, n) for _, rs, n in model.nibbles]
    assert nibbles == [
        (0, 0x3), (0, 0x3), (0, 0x3), (0, 0x2),  # 8-bit resets, then switch to 4-bit
        (0, 0x2), (0, 0x8),  # function set: 4-bit, 2 lines, 5x8 dots
        (0, 0x0), (0, 0x8),  # display off
        (0, 0x0), (0, 0x1),  # clear
        (0, 0x0), (0, 0x6),  # entry mode: increment, no shift
        (0, 0x0), (0, 0xC),  # display on, cursor and blink off
    ]
    assert model.violations == []
    assert bus.log[0][1][0] & 0x07 == 0  # first write: E, RW, RS low


def test_init_waits_as_the_datasheet_requires():
    start = CLOCK.now_us
    lcd, model, bus = make_lcd()
    t = [when for when, _, _ in model.nibbles]
    assert t[0] - start >= POWER_ON_US
    assert t[1] - t[0] >= FIRST_RESET_US
    assert t[2] - t[1] >= SECOND_RESET_US
    assert t[3] - t[2] >= EXEC_US and t[4] - t[3] >= EXEC_US
    assert t[10] - t[9] >= CLEAR_US  # the instruction after clear
    assert model.violations == []


def test_model_catches_a_driver_that_does_not_wait(monkeypatch):
    monkeypatch.setattr(time, "sleep_ms", lambda ms: None)
    lcd, model, bus = make_lcd()
    assert any("too early" in v for v in model.violations)


def test_init_state_and_blank_screen():
    lcd, model, bus = make_lcd()
    assert (lcd.rows, lcd.cols) == (2, 16)
    assert model.four_bit and model.two_lines and model.display_on
    assert model.increment and not model.shift and not model.cursor and not model.blink
    assert model.backlight
    assert shown(model) == [" " * 16] * 2


def test_backlight_off_at_start_and_switched():
    lcd, model, bus = make_lcd(backlight=False)
    assert not model.backlight
    assert all(not b & 0x08 for _, data in bus.log for b in data)
    lcd.show(("Hello",))
    lcd.backlight(True)
    assert model.backlight
    lcd.backlight(False)
    assert not model.backlight
    assert shown(model)[0] == "Hello" + " " * 11


def test_slow_bus_is_fine_too():
    lcd, model, bus = make_lcd(byte_us=90)  # 100 kHz, the PCF8574's rated speed
    lcd.show(("Credit 123.4 kWh", "Relay on"))
    assert shown(model) == ["Credit 123.4 kWh", "Relay on        "]


def test_geometry_checked():
    for rows, cols in ((0, 16), (5, 16), (2, 41), (4, 21), (2, 0)):
        with pytest.raises(ValueError):
            HD44780_I2C(FakeI2C(), rows=rows, cols=cols)


# -- HD44780: show -----------------------------------------------------------------------


def test_show_text():
    lcd, model, bus = make_lcd()
    lcd.show(("Credit 123.4 kWh", "Relay on"))
    assert shown(model) == ["Credit 123.4 kWh", "Relay on        "]


def test_unchanged_show_sends_nothing():
    lcd, model, bus = make_lcd()
    screen = ("Credit 123.4 kWh", "Relay on")
    lcd.show(screen)
    writes, sent = bus.writes, bus.bytes
    lcd.show(screen)
    lcd.show(("Credit 123.4 kWh", "Relay on        "))  # equal once padded
    lcd.show(["Credit 123.4 kWh", "Relay on", ""])  # an extra blank line is ignored
    assert (bus.writes, bus.bytes) == (writes, sent)


def test_one_changed_character_sends_a_few_bytes():
    lcd, model, bus = make_lcd()
    lcd.show(("Credit 123.4 kWh", "Relay on"))
    writes, sent = bus.writes, bus.bytes
    lcd.show(("Credit 123.3 kWh", "Relay on"))
    assert bus.writes - writes == 1
    assert bus.bytes - sent <= 12  # address 4 + character 4 + RS setup 2, padded to 4
    assert shown(model)[0] == "Credit 123.3 kWh"
    assert model.ddram_addresses()[-1] == 0x0B


def test_close_changes_share_one_address():
    lcd, model, bus = make_lcd()
    lcd.show(("12345678", ""))
    before = len(model.ddram_addresses())
    lcd.show(("1x3x5678", ""))  # gap of one unchanged character: rewritten, not readdressed
    assert len(model.ddram_addresses()) == before + 1
    lcd.show(("1x3x56y8", ""))
    lcd.show(("ax3x56yz", ""))  # two runs far apart: two addresses
    assert len(model.ddram_addresses()) == before + 4
    assert shown(model)[0] == "ax3x56yz        "


def test_long_lines_cut_short_lines_padded_missing_rows_blank():
    lcd, model, bus = make_lcd()
    lcd.show(("A line much longer than sixteen", "B" * 40))
    assert shown(model) == ["A line much long", "B" * 16]
    lcd.show(("short",))
    assert shown(model) == ["short           ", " " * 16]
    lcd.show(())
    assert shown(model) == [" " * 16] * 2


def test_characters_outside_ascii_show_a_placeholder():
    lcd, model, bus = make_lcd()
    lcd.show(("Cr\u00e9dit \u20ac5\tx\x7f", "~{|}\x20!"))
    assert shown(model) == ["Cr?dit ?5?x?    ", "~{|} !          "]


def test_bytes_lines_are_character_codes():
    lcd, model, bus = make_lcd()
    lcd.show((b"Credit 1.0 kWh", bytearray(b"caf\xc3\xa9")))
    assert shown(model) == ["Credit 1.0 kWh  ", "caf??           "]


def test_20x4_uses_the_four_line_addresses():
    lcd, model, bus = make_lcd(rows=4, cols=20)
    lines = ("Row zero", "Row one", "Row two", "Row three is too long to fit")
    lcd.show(lines)
    assert shown(model) == ["Row zero" + " " * 12, "Row one" + " " * 13, "Row two" + " " * 13,
                            "Row three is too lon"]
    assert model.ddram_addresses()[-4:] == [0x00, 0x40, 0x14, 0x54]
    lcd.show(("Row zero", "Row one", "Row 2"))
    assert shown(model)[2:] == ["Row 2" + " " * 15, " " * 20]


def test_16x4_addresses():
    lcd, model, bus = make_lcd(rows=4, cols=16)
    lcd.show(("a", "b", "c", "d"))
    assert model.ddram_addresses()[-4:] == [0x00, 0x40, 0x10, 0x50]
    assert [row[0] for row in shown(model)] == ["a", "b", "c", "d"]


def test_clear_then_show_rewrites():
    lcd, model, bus = make_lcd()
    lcd.show(("Credit 123.4 kWh", "Relay on"))
    lcd.clear()
    assert shown(model) == [" " * 16] * 2
    lcd.show(("Credit 123.4 kWh", "Relay on"))
    assert shown(model) == ["Credit 123.4 kWh", "Relay on        "]


def test_custom_char():
    lcd, model, bus = make_lcd()
    lcd.show(("Hi", ""))
    bell = bytes((0x04, 0x0E, 0x0E, 0x0E, 0x1F, 0x00, 0x04, 0x00))
    lcd.custom_char(3, bell)
    assert model.glyph(3) == bell
    lcd.show(("Hi \x03", "x"))
    assert shown(model) == ["Hi \x03" + " " * 12, "x" + " " * 15]
    with pytest.raises(ValueError):
        lcd.custom_char(8, bell)


def test_bus_error_forces_a_full_rewrite():
    lcd, model, bus = make_lcd()
    lcd.show(("Credit 123.4 kWh", "Relay on"))
    bus.fail = 1
    with pytest.raises(OSError):
        lcd.show(("Credit 999.9 kWh", "Relay off"))
    done = len(model.instructions)
    lcd.show(("Credit 123.4 kWh", "Relay on"))  # what the LCD shows already, yet all resent
    assert shown(model) == ["Credit 123.4 kWh", "Relay on        "]
    assert sum(rs for rs, _ in model.instructions[done:]) == 32


def test_a_byte_not_acknowledged_is_an_error():
    lcd, model, bus = make_lcd()
    bus.writeto = lambda addr, buf, stop=True: len(buf) - 1  # ACKs the address, not all
    with pytest.raises(OSError) as e:
        lcd.show(("Credit 1.0 kWh", ""))
    assert e.value.args[0] == 5  # EIO


# -- a display that may be missing or fail ----------------------------------------------


def guarded(bus, retry_ms=0):
    """An LCD behind a DisplayGuard; the guard makes a new driver on each try."""
    def make():
        return HD44780_I2C(bus, addr=0x27)

    return DisplayGuard(make, "LCD at 0x27", retry_ms=retry_ms)


def test_no_lcd_on_the_bus_is_reported_once_and_nothing_raises(capsys):
    bus = FakeI2C()  # nothing attached at 0x27: every write raises ENODEV
    screen = guarded(bus)
    screen.show(("Credit 1.0 kWh", "Load 0 W"))
    screen.retry()
    screen.show(("Credit 0.9 kWh", "Load 0 W"))
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and re.fullmatch(
        r"stsmeter: LCD at 0x27 not answering \((\[Errno 19\] ENODEV|19)\); the meter "
        r"runs on without it, trying again every 0 s", out[0])
    assert screen.device is None and "19" in screen.error


def test_an_lcd_plugged_in_later_shows_the_last_lines(capsys):
    bus = FakeI2C()
    screen = guarded(bus)
    screen.show(("Credit 1.0 kWh", "Load 0 W"))
    model = bus.attach(0x27, FakeHD44780(2, 16, clock=CLOCK, byte_us=22.5))
    screen.retry()
    assert shown(model) == ["Credit 1.0 kWh  ", "Load 0 W        "]
    assert capsys.readouterr().out.splitlines()[-1] == "stsmeter: LCD at 0x27 answers again"
    assert screen.error is None


def test_an_lcd_failing_half_way_is_set_up_again_when_it_answers(capsys):
    bus = FakeI2C()
    model = bus.attach(0x27, FakeHD44780(2, 16, clock=CLOCK, byte_us=22.5))
    screen = guarded(bus)
    screen.show(("before", ""))
    bus.fail = 1
    screen.show(("during", ""))  # lost: no exception for the meter
    assert screen.device is None and "failed" in capsys.readouterr().out
    model.pending = (0, 0x0)  # it caught half a byte: only a new init() puts it right
    screen.retry()
    assert shown(model) == ["during" + " " * 10, " " * 16]


def test_a_driver_that_is_not_installed_is_not_tried_again(capsys):
    tries = []

    def make():
        tries.append(1)
        raise ImportError("no module named 'ssd1306'")

    screen = DisplayGuard(make, "OLED at 0x3c", retry_ms=0)
    screen.show(("x", ""))
    screen.retry()
    assert tries == [1] and screen.gave_up
    assert "driver missing" in capsys.readouterr().out


def test_retry_waits_for_its_period():
    bus = FakeI2C()
    screen = guarded(bus, retry_ms=60000)
    bus.attach(0x27, FakeHD44780(2, 16, clock=CLOCK, byte_us=22.5))
    screen.retry()  # too early: not tried
    assert screen.device is None


def test_reinit_recovers_a_desynchronised_lcd():
    lcd, model, bus = make_lcd()
    lcd.show(("before", ""))
    bus.writeto(0x27, bytes((0x08, 0x0C, 0x08)))  # a stray nibble: the LCD is half-way
    assert model.pending is not None
    lcd.init()
    lcd.show(("after", ""))
    assert shown(model) == ["after" + " " * 11, " " * 16]


def test_transactions_are_padded_views():
    lcd, model, bus = make_lcd()
    lcd.show(("X" * 16, "Y" * 16))  # more than one 64-byte transaction
    assert all(len(data) % 4 == 0 and len(data) <= 64 for _, data in bus.log)
    assert shown(model) == ["X" * 16, "Y" * 16]


screens = st.lists(
    st.lists(st.text(alphabet=" ab\u00e9~", max_size=22), max_size=5), min_size=1, max_size=6
)


def expected(lines, rows, cols):
    out = []
    for r in range(rows):
        line = lines[r] if r < len(lines) else ""
        line = "".join(ch if " " <= ch <= "~" else "?" for ch in line[:cols])
        out.append(line + " " * (cols - len(line)))
    return out


@settings(max_examples=60, deadline=None)
@given(sequence=screens, big=st.booleans())
def test_any_sequence_of_screens(sequence, big):
    rows, cols = (4, 20) if big else (2, 16)
    lcd, model, bus = make_lcd(rows=rows, cols=cols)
    for lines in sequence:
        lcd.show(lines)
        assert shown(model) == expected(lines, rows, cols)


# -- TextOLED -----------------------------------------------------------------------------


class RecordingFramebuffer:
    """Records the calls TextOLED makes on an ssd1306.SSD1306_I2C-like object."""

    def __init__(self):
        self.calls = []

    def fill(self, c):
        self.calls.append(("fill", c))

    def fill_rect(self, x, y, w, h, c):
        self.calls.append(("fill_rect", x, y, w, h, c))

    def text(self, s, x, y, c):
        self.calls.append(("text", s, x, y, c))

    def show(self):
        self.calls.append(("show",))

    def take(self):
        calls, self.calls = self.calls, []
        return calls


def test_oled_geometry_and_initial_clear():
    fb = RecordingFramebuffer()
    oled = TextOLED(fb)
    assert (oled.rows, oled.cols) == (8, 16)
    assert fb.take() == [("fill", 0), ("show",)]
    assert (TextOLED(fb, line_height=16).rows, TextOLED(fb, 64, 32).cols) == (4, 8)


def test_oled_redraws_only_changed_rows_and_shows_once():
    fb = RecordingFramebuffer()
    oled = TextOLED(fb)
    fb.take()
    oled.show(("Credit 123.4 kWh", "Relay on"))
    assert fb.take() == [
        ("fill_rect", 0, 0, 128, 8, 0), ("text", "Credit 123.4 kWh", 0, 0, 1),
        ("fill_rect", 0, 8, 128, 8, 0), ("text", "Relay on", 0, 8, 1),
        ("show",),
    ]
    oled.show(("Credit 123.3 kWh", "Relay on"))
    assert fb.take() == [
        ("fill_rect", 0, 0, 128, 8, 0), ("text", "Credit 123.3 kWh", 0, 0, 1), ("show",)
    ]
    oled.show(("Credit 123.3 kWh", "Relay on"))
    assert fb.take() == []
    oled.show(("Credit 123.3 kWh",))  # row 1 becomes blank
    assert fb.take() == [("fill_rect", 0, 8, 128, 8, 0), ("text", "", 0, 8, 1), ("show",)]


def test_oled_passes_the_callers_str_and_cuts_long_lines():
    fb = RecordingFramebuffer()
    oled = TextOLED(fb)
    fb.take()
    line = "Relay on"
    oled.show((line,))
    assert fb.calls[1][1] is line  # no copy
    oled.show(("A line much longer than sixteen",))
    assert ("text", "A line much long", 0, 0, 1) in fb.take()


def test_oled_double_spaced_rows_and_clear():
    fb = RecordingFramebuffer()
    oled = TextOLED(fb, line_height=16)
    fb.take()
    oled.show(("a", "b"))
    assert fb.take()[2:4] == [("fill_rect", 0, 16, 128, 16, 0), ("text", "b", 0, 20, 1)]
    oled.clear()
    assert fb.take() == [("fill", 0), ("show",)]
    oled.show(("a", "b"))
    assert fb.take()[-1] == ("show",)


# -- ConsoleDisplay --------------------------------------------------------------------


def test_console_prints_a_box_only_on_change():
    out = io.StringIO()
    screen = ConsoleDisplay(out)
    assert (screen.rows, screen.cols) == (2, 16)
    screen.show(("Credit 123.4 kWh", "Relay on"))
    box = (
        "+----------------+\n"
        "|Credit 123.4 kWh|\n"
        "|Relay on        |\n"
        "+----------------+\n"
    )
    assert out.getvalue() == box
    screen.show(["Credit 123.4 kWh", "Relay on        "])
    assert out.getvalue() == box
    screen.show(("Credit 123.3 kWh and more", "Cr\u00e9dit"))
    assert out.getvalue() == box + box.replace("123.4", "123.3").replace("Relay on", "Cr?dit  ")
    screen.clear()
    assert out.getvalue().endswith("|                |\n" * 2 + "+----------------+\n")
    n = len(out.getvalue())
    screen.clear()
    assert len(out.getvalue()) == n


def test_console_first_show_prints_even_blank_and_other_sizes():
    out = io.StringIO()
    ConsoleDisplay(out, rows=1, cols=4).show((b"ab\x01",))
    assert out.getvalue() == "+----+\n|ab? |\n+----+\n"


# -- zero allocation on MicroPython ---------------------------------------------------------

BENCH = TOOLS / "bench_display.py"


def check_bench(stdout):
    rows = {row["display"]: row for row in map(json.loads, stdout.splitlines())}
    for name in ("hd44780_16x2", "hd44780_20x4"):
        assert rows[name]["bytes_alloc_per_show_unchanged"] == 0
        assert rows[name]["bytes_alloc_per_show_changed"] == 0
        assert rows[name]["bytes_per_i2c_change"] <= 12
    oled = rows["ssd1306_128x64"]
    assert oled["bytes_alloc_per_show_unchanged"] == 0
    assert oled["bytes_alloc_per_show_changed"] == 0


def test_refresh_allocates_nothing_micropython_unix():
    proc = run_micropython(BENCH, args=["200"], extra_path=[ROOT / "host_tests"])
    assert proc.returncode == 0, proc.stderr
    check_bench(proc.stdout)


def test_refresh_allocates_nothing_micropython_32bit():
    proc = run_wasm(BENCH, files=[(ROOT / "host_tests" / "fake_i2c.py", "/lib/fake_i2c.py")],
                    args=["200"])
    assert proc.returncode == 0, proc.stderr
    check_bench(proc.stdout)
