"""What the user is typing: digits, backspace, clear, enter, and the idle timeout.

Keys: '0'..'9'; '*' deletes the last digit, a second '*' in a row (or a long '*') clears
the entry; '<' (a keyboard's Backspace, the PC board) deletes one digit each time; '#'
ends it. 20 digits + '#' is a token, 1..3 digits + '#' a short code, any
other length a format error. A gap of `timeout_s` between keys cancels the entry.
The digits are kept as ASCII in a preallocated bytearray: no allocation per key.
"""

from micropython import const

TOKEN_DIGITS = const(20)

# press() results
NOTHING = const(0)  # key taken, entry goes on
TOKEN = const(1)  # digits() holds 20 digits
SHORT_CODE = const(2)  # short_code() holds the code
WRONG_LENGTH = const(3)  # '#' after 4..19 digits
CLEARED = const(4)  # entry cleared by '**' or a long '*'
IGNORED = const(5)  # key had no effect (21st digit, '#' or '*' on an empty entry)


class Entry:
    def __init__(self, timeout_s=20):
        self.timeout_s = timeout_s
        self._buf = bytearray(TOKEN_DIGITS)
        self._mv = memoryview(self._buf)
        self.count = 0
        self.ended = 0  # length of the entry that the last '#' finished
        self.last_key_at = 0
        self._last_star = False

    def press(self, key, now):
        """One key ('0'-'9', '*', '#', 'C' for a long '*', '<' delete one); returns one of
        the results."""
        self.last_key_at = now
        if key == "<":  # Backspace: one digit, however often
            self._last_star = False
            if not self.count:
                return IGNORED
            self.count -= 1
            return NOTHING
        star = key == "*"
        was_star = self._last_star
        self._last_star = star
        if "0" <= key <= "9" and len(key) == 1:
            if self.count == TOKEN_DIGITS:
                return IGNORED
            self._buf[self.count] = ord(key)
            self.count += 1
            return NOTHING
        if key == "C" or (star and was_star):
            had = self.count
            self.count = 0
            self._last_star = False
            return CLEARED if had or was_star else IGNORED
        if star:
            if not self.count:
                return IGNORED
            self.count -= 1
            return NOTHING
        if key == "#":
            n = self.ended = self.count
            self.count = 0
            if n == TOKEN_DIGITS:
                return TOKEN
            if 1 <= n <= 3:
                return SHORT_CODE
            return WRONG_LENGTH if n else IGNORED
        return IGNORED

    def digits(self):
        """The entered digits as a memoryview of ASCII (valid until the next key)."""
        return self._mv[:TOKEN_DIGITS]

    def short_code(self):
        """The 1..3-digit code just entered, as an int (read it before the next key)."""
        code = 0
        for i in range(self.ended):
            code = code * 10 + self._buf[i] - 48
        return code

    def expired(self, now):
        """True (and the entry cleared) when keys stopped for the timeout mid-entry."""
        if self.count and now - self.last_key_at >= self.timeout_s:
            self.count = 0
            self._last_star = False
            return True
        return False

    def text(self):
        """The digits typed so far (a new str: for the display)."""
        return bytes(self._buf[: self.count]).decode()
