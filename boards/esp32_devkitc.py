"""Pin map: Espressif ESP32-DevKitC (ESP32-WROOM-32), as wired in
boards/wokwi/esp32_devkitc/diagram.json.

Pins to keep clear of: GPIO 6-11 belong to the SPI flash; 1 and 3 are the REPL UART
(TX/RX); 16 and 17 are taken by PSRAM on WROVER modules; 0, 2, 5, 12 and 15 are strapping
pins read at reset (12 high selects 1.8 V flash: the module then does not boot);
34-39 are inputs only and have no internal pull-ups.
"""

NAME = "esp32_devkitc"

# 4x4 membrane keypad: rows R1..R4 top to bottom, columns C1..C4 left to right.
# Columns need the internal pull-ups, so never GPIO 34-39. 32 and 33 have pull-ups.
KEYPAD_ROWS = (13, 14, 27, 26)
KEYPAD_COLS = (25, 33, 32, 4)
KEYPAD_KEYS = "123A456B789C*0#D"
# The keypad's keys beyond 0-9 * #, given a firmware key: C clears the entry (as a long
# *). A, B and D are not mapped: they do nothing.
KEYPAD_MAP = {"C": "C"}

# Relay module (Wokwi's default "npn" module is active-high; many opto-isolated boards
# are active-low: set True for those).
RELAY_PIN = 23
RELAY_ACTIVE_LOW = False

# Supply LED. GPIO 2 is a strapping pin that must be low or floating for serial download:
# an LED with its resistor to GND keeps it low. Many ESP32 boards (not the DevKitC) have
# their blue LED there already.
LED_PIN = 2

BUZZER_PIN = 18  # active buzzer

# I2C on the usual ESP32 pins (any output-capable GPIO works through the GPIO matrix).
I2C_ID = 0
I2C_SDA = 21
I2C_SCL = 22

DISPLAY = "ssd1306"  # 128x64 OLED
DISPLAY_ADDR = 0x3C

# S0 pulse input: open collector to GND, internal pull-up, falling edge = one pulse.
PULSE_PIN = 19
PULSE_IMP_PER_KWH = 1000

# Meter code: "per_entry" loads the code for each entry and releases it after (fits a
# small heap); "resident" loads it all at start and keeps it (entries 3-6x faster on the
# virtual Pico, for about 19 KB more heap there). Per entry here until measured on an
# ESP32, whose heap without PSRAM is about half a Pico's.
CODE_LOADING = "per_entry"

# time.time() counts from 2000-01-01 on esp32 (the unix port and rp2 use 1970).
EPOCH_YEAR = 2000


def device_id():
    """The factory MAC address of the chip (6 bytes)."""
    import machine

    return machine.unique_id()


def flash():
    """The block device under the board's filesystem (littlefs on the "vfs" partition):
    the meter keeps its state journal in whole blocks of it (journal.py). Not yet run on
    an ESP32: the journal is tested on the virtual Pico and over littlefs on the PC."""
    import esp32

    return esp32.Partition.find(esp32.Partition.TYPE_DATA, label="vfs")[0]
