"""The host side of STS, never on a board: token descriptions (describe), building tokens
as a vending system does (vending), the meter's status and event log for a host (report).
They use the firmware's codec (stsmeter.sts) and run in CPython and the unix port."""
