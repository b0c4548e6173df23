# stsmeter: everything a fresh clone needs is set up by these targets.
#   make sim     set up, then run the meter firmware on this PC (MicroPython unix port);
#                BOARD=rpi_pico: deployed onto a virtual Raspberry Pi Pico (rp2040js)
#   make test    set up, then run every host test (CPython, MicroPython unix, 32-bit wasm)
#   make bench   set up, then print the benchmark figures as a table, each beside its
#                target (JSON=1: as JSON lines)
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
	$(BIN)/python tools/bench.py $(if $(JSON),--json)

# make sim [BOARD=sim|rpi_pico] [RESET=1]: sim (the default) runs the firmware on the unix
# port with the PC as the board (.sim/); rpi_pico deploys it onto a virtual Pico and drives
# it through its pins (.sim-pico/; with METER=meter.json your own meter, .sim-pico-own/).
SIM_BOARD := $(or $(BOARD),sim)
SIM_TERM_sim := simterm
SIM_TERM_rpi_pico := picoterm
SIM_STAMPS_rpi_pico := $(PICO_STAMP)
ifneq ($(filter sim,$(MAKECMDGOALS)),)
ifeq ($(SIM_TERM_$(SIM_BOARD)),)
$(error make sim: no board "$(BOARD)": use BOARD=sim (the PC, the default) or BOARD=rpi_pico)
endif
endif

sim: $(PY_STAMP) $(SIM_STAMPS_$(SIM_BOARD))
	$(BIN)/python tools/$(SIM_TERM_$(SIM_BOARD)).py $(if $(METER),--meter $(METER)) \
		$(if $(RESET),--reset)

# make deploy BOARD=rpi_pico|esp32_devkitc|sim [PORT=/dev/ttyACM0] [METER=meter.json]
#             [SIM_ROOT=dir] [NO_RESET=1] [DEPS=1] [REPROVISION=1 [YES=1]]
# A provisioned board keeps its state and meter.json (a firmware update); REPROVISION=1
# wipes its state (credit, TID memory, event log, key) and copies METER: a new meter.
# BOARD=sim without PORT starts tools/virtual_board.py on SIM_ROOT (default: a new temp dir).
deploy: $(PY_STAMP)
	$(if $(BOARD),,$(error BOARD=rpi_pico|esp32_devkitc|sim is required))
	$(BIN)/python tools/deploy.py --board $(BOARD) $(if $(PORT),--port $(PORT)) \
		$(if $(METER),--meter $(METER)) $(if $(SIM_ROOT),--root $(SIM_ROOT)) \
		$(if $(NO_RESET),--no-reset) $(if $(DEPS),--deps) \
		$(if $(REPROVISION),--reprovision) $(if $(YES),--yes)

clean:
	rm -rf $(VENV) $(WASM_DIR)/node_modules $(PICO_DIR)/node_modules build .pytest_cache .hypothesis
