"""The work of one entry (a token's rules, a key change, a short code) and of the start
(loading or provisioning the state, checking meter.json, the clock, production mode):
loaded for it and released after it (stsmeter.LOADS), so that between entries only the
resident core is in RAM."""
