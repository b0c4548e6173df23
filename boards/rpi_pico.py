"""Pin map: Raspberry Pi Pico (RP2040), as wired in boards/wokwi/rpi_pico/diagram.json."""

NAME = "rpi_pico"

# 4x4 membrane keypad: rows R1..R4 top to bottom, columns C1..C4 left to right.
# Every RP2040 GPIO has internal pull-ups and supports open drain (emulated by the port).
KEYPAD_ROWS = (2, 3, 4, 5)
KEYPAD_COLS = (6, 7, 8, 9)
KEYPAD_KEYS = "123A456B789C*0#D"
# The keypad's keys beyond 0-9 * #, given a firmware key: C clears the entry (as a long
# *). A, B and D are not mapped: they do nothing.
KEYPAD_MAP = {"C": "C"}

# Relay module (Wokwi's default "npn" module is active-high; many opto-isolated boards
# are active-low: set True for those).
RELAY_PIN = 15
RELAY_ACTIVE_LOW = False

# Supply LED: an external LED. The on-board LED is Pin("LED") (GPIO 25 on the Pico, a
# pin of the Wi-Fi chip on the Pico W, so use the name, not the number).
LED_PIN = 14

BUZZER_PIN = 13  # active buzzer

# I2C0 may use SDA on GP0/4/8/12/16/20 and SCL on GP1/5/9/13/17/21. GP0/GP1 stay free
# for UART0 (the REPL itself is on USB).
I2C_ID = 0
I2C_SDA = 16
I2C_SCL = 17

DISPLAY = "hd44780"  # 16x2 LCD behind a PCF8574 backpack
DISPLAY_ADDR = 0x27

# S0 pulse input: open collector to GND, internal pull-up, falling edge = one pulse.
PULSE_PIN = 22
PULSE_IMP_PER_KWH = 1000

# Meter code: "resident" loads the code of every kind of entry at start and keeps it;
# "per_entry" loads it for each entry and releases it after (fits a small heap, but every
# credit token then takes ~420 ms instead of ~65 ms on the virtual Pico). The Pico has
# room (about 19 KB more heap used): `make bench` measures both (README, "Benchmarks").
CODE_LOADING = "resident"

# time.time() counts from 1970-01-01 on rp2. The RTC starts at 2021-01-01 00:00 at every
# boot (no battery): the clock is unknown until set.
EPOCH_YEAR = 1970


def device_id():
    """The unique ID of the board's flash chip (8 bytes)."""
    import machine

    return machine.unique_id()


def flash():
    """The block device under the board's filesystem (littlefs on the last 1408 KB of the
    flash): the meter keeps its state journal in whole blocks of it (journal.py)."""
    import rp2

    return rp2.Flash()
