# Freeze the firmware into a MicroPython image, so its bytecode runs from flash instead of
# taking heap (about 90 KB when loaded from .mpy files, see `make bench`):
#
#   make -C micropython/ports/rp2 BOARD=RPI_PICO FROZEN_MANIFEST=$PWD/firmware/manifest.py
#
# then copy boards/<name>.py as board.py and meter.json as usual. Not built in CI here
# (no board toolchains); it uses only the documented manifest functions.
include("$(PORT_DIR)/boards/manifest.py")
require("ssd1306")  # the OLED display on ESP32 boards
package("stsmeter", base_path="lib", opt=3)
module("main.py")
