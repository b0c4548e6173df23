"""stsmeter: a development and bench STS (IEC 62055-41) prepayment meter in MicroPython."""

__version__ = "0.3.0"
