"""Entry (stsmeter/entry.py): digits, '*' backspace, '**' and 'C' clear, '#' ends a token,
a short code or a wrong length, the idle timeout. Plain asserts: runs in CPython (pytest)
and MicroPython (run.py)."""

from stsmeter.entry import (CLEARED, IGNORED, NOTHING, SHORT_CODE, TOKEN, TOKEN_DIGITS,
                            WRONG_LENGTH, Entry)

TWENTY = "12345678901234567890"


def typed(keys, e=None, now=0):
    """Press each key; the results, in order."""
    e = e or Entry()
    return [e.press(k, now) for k in keys]


def test_digits_are_taken():
    e = Entry()
    assert typed("042", e) == [NOTHING] * 3
    assert e.text() == "042" and e.count == 3


def test_twenty_digits_and_hash_is_a_token():
    e = Entry()
    assert typed(TWENTY, e) == [NOTHING] * 20
    assert e.press("#", 0) == TOKEN
    assert TOKEN_DIGITS == 20 and e.ended == 20
    assert bytes(e.digits()) == TWENTY.encode()
    assert e.count == 0 and e.text() == ""  # a new entry begins


def test_a_21st_digit_is_ignored():
    e = Entry()
    typed(TWENTY, e)
    assert e.press("7", 0) == IGNORED
    assert e.text() == TWENTY
    assert e.press("#", 0) == TOKEN and bytes(e.digits()) == TWENTY.encode()


def test_short_codes_of_one_to_three_digits():
    for keys, code in (("0", 0), ("9", 9), ("10", 10), ("99", 99), ("123", 123),
                       ("007", 7)):
        e = Entry()
        typed(keys, e)
        assert e.press("#", 0) == SHORT_CODE, keys
        assert e.short_code() == code, keys
        assert e.ended == len(keys)


def test_other_lengths_are_wrong():
    for n in (4, 5, 12, 19):
        e = Entry()
        typed(TWENTY[:n], e)
        assert e.press("#", 0) == WRONG_LENGTH, n
        assert e.ended == n and e.count == 0


def test_hash_on_an_empty_entry_is_ignored():
    e = Entry()
    assert e.press("#", 0) == IGNORED
    assert e.ended == 0


def test_star_deletes_the_last_digit():
    e = Entry()
    assert typed("123*", e) == [NOTHING] * 4
    assert e.text() == "12"
    typed("4*5", e)  # stars apart: each deletes one digit
    assert e.text() == "125"
    assert typed("*", e) == [NOTHING] and e.text() == "12"
    typed("9#", e)
    assert e.short_code() == 129  # the deleted digits are gone


def test_two_stars_in_a_row_clear():
    e = Entry()
    assert typed("1234**", e) == [NOTHING] * 5 + [CLEARED]
    assert e.text() == "" and e.count == 0
    assert e.press("*", 0) == IGNORED  # the pair was used up: a third star is a first one


def test_star_on_an_empty_entry_is_ignored():
    e = Entry()
    assert e.press("*", 0) == IGNORED
    assert e.count == 0


def test_long_star_clears():
    e = Entry()
    typed("5678", e)
    assert e.press("C", 0) == CLEARED and e.text() == ""
    assert e.press("C", 0) == IGNORED  # nothing to clear


def test_another_key_between_stars_breaks_the_pair():
    e = Entry()
    assert typed("12*A*", e) == [NOTHING, NOTHING, NOTHING, IGNORED, NOTHING]
    assert e.text() == ""


def test_unknown_keys_are_ignored():
    e = Entry()
    typed("12", e)
    for k in ("A", "B", "D", "x", "", "12", " "):
        assert e.press(k, 0) == IGNORED, k
    assert e.text() == "12"


def test_a_pause_of_the_timeout_cancels_the_entry():
    e = Entry(timeout_s=20)
    e.press("1", 100)
    assert e.expired(119) is False and e.text() == "1"
    assert e.expired(120) is True
    assert e.text() == "" and e.expired(500) is False  # nothing left to cancel


def test_the_timeout_counts_from_the_last_key():
    e = Entry(timeout_s=20)
    e.press("1", 100)
    e.press("2", 115)
    assert e.expired(134) is False
    assert e.expired(135) is True


def test_an_empty_entry_never_expires():
    e = Entry(timeout_s=5)
    assert e.expired(10 ** 6) is False
    e.press("#", 0)
    assert e.expired(10 ** 6) is False


def test_a_timeout_forgets_a_pending_star():
    e = Entry(timeout_s=20)
    typed("12*", e)
    assert e.expired(20) is True
    assert e.press("*", 21) == IGNORED  # a first star on an empty entry, not a pair
    e.press("3", 22)
    assert e.press("*", 23) == NOTHING and e.text() == ""
