# stsmeter: everything a fresh clone needs is set up by these targets.
#   make sim     set up, then run the meter firmware on this PC (MicroPython unix port)
#   make test    set up, then run every host test (CPython, MicroPython unix, 32-bit wasm)
#   make bench   set up, then print the benchmark figures as JSON lines
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
WASM_DIR := tools/wasm
WASM_STAMP := $(WASM_DIR)/node_modules/.installed
PICO_DIR := tools/pico
PICO_STAMP := $(PICO_DIR)/node_modules/.installed

.PHONY: setup test bench sim deploy clean

setup: $(PY_STAMP) $(WASM_STAMP) $(PICO_STAMP)

$(PY_STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(WASM_STAMP): $(WASM_DIR)/package.json $(WASM_DIR)/package-lock.json
	cd $(WASM_DIR) && npm ci --no-audit --no-fund --silent
	touch $@

$(PICO_STAMP): $(PICO_DIR)/package.json $(PICO_DIR)/package-lock.json
	cd $(PICO_DIR) && npm ci --no-audit --no-fund --silent
	touch $@

test: setup
	$(BIN)/python -m pytest host_tests

bench: setup
	$(BIN)/python tools/bench.py

sim: $(PY_STAMP)
	$(BIN)/python tools/simterm.py

# make deploy BOARD=rpi_pico|esp32_devkitc|sim [PORT=/dev/ttyACM0] [METER=meter.json]
#             [SIM_ROOT=dir] [NO_RESET=1] [DEPS=1]
# BOARD=sim without PORT starts tools/virtual_board.py on SIM_ROOT (default: a new temp dir).
deploy: $(PY_STAMP)
	$(if $(BOARD),,$(error BOARD=rpi_pico|esp32_devkitc|sim is required))
	$(BIN)/python tools/deploy.py --board $(BOARD) $(if $(PORT),--port $(PORT)) \
		$(if $(METER),--meter $(METER)) $(if $(SIM_ROOT),--root $(SIM_ROOT)) \
		$(if $(NO_RESET),--no-reset) $(if $(DEPS),--deps)

clean:
	rm -rf $(VENV) $(WASM_DIR)/node_modules $(PICO_DIR)/node_modules build .pytest_cache .hypothesis
