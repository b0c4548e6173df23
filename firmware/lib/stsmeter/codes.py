"""The meter's codes, defined once: result codes, why the relay is open, tamper kinds,
encryption algorithms and base dates. It imports nothing, so any module may import it
(resident: the meter names reasons and tampers in its events).

A code is an index into its tuple of names: the record, the event log and the events
store the index, the names are what the events and the tools show.
"""

from micropython import const

# --- a finished entry's result (jobs/acceptance.py, jobs/results.py; eventlog TOKEN) ---
RESULTS = ("accept", "kct_partial", "used", "old", "crc", "format", "key_expired", "ddtk",
           "key_type", "function", "range", "overflow", "mfr_code", "locked", "short_code")
ACCEPT = const(0)
KCT_PARTIAL = const(1)
USED = const(2)
OLD = const(3)
CRC = const(4)
FORMAT = const(5)
KEY_EXPIRED = const(6)
DDTK = const(7)
KEY_TYPE = const(8)
FUNCTION = const(9)
RANGE = const(10)
OVERFLOW = const(11)
MFR_CODE = const(12)
LOCKED = const(13)
SHORT_CODE = const(14)  # (not a token result: never the last result)

# --- why the relay is open, or when it closes what held it open (eventlog RELAY) ---
REASONS = ("credit", "tamper", "overpower", "test", "power_on")
NO_CREDIT = const(0)
TAMPERED = const(1)
TRIPPED = const(2)
TESTING = const(3)
POWER_ON = const(4)

# --- tamper kinds (0: none; eventlog TAMPER) ---
TAMPERS = ("", "state_forged", "tamper_input")
TAMPER_FORGED = const(1)  # the state failed authentication (jobs/startup.py)
TAMPER_INPUT = const(2)  # the tamper switch (cover, magnet)

# --- encryption algorithms (meter.json "ea"; the sealed key record stores the index) ---
EAS = ("07", "11")  # EA07: STA, 64-bit key; EA11: MISTY1, 128-bit key
EA07 = "07"
EA11 = "11"

# --- base dates of the token ID (spec 6.3.5): a rollover key change moves to the next ---
BASE_YEARS = (1993, 2014, 2035)
