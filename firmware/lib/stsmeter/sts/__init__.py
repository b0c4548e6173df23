"""The STS codec (IEC 62055-41): 20 digits to a checked, parsed token - digits, the
EA07 (STA) and EA11 (MISTY1) ciphers, the CRC, the token layouts, amounts. Loaded to
decode a token and released after it (stsmeter.LOADS); imports nothing else of the
firmware but the package's codes."""
