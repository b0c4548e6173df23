"""Unit tests of the codec pieces: digits and class, amount code, TID dates, rejections."""

import datetime

import pytest
import sts_requests
from stshost import vending
from stshost.describe import control, type_name
from stsmeter import BASE_YEARS
from stsmeter.jobs import tid
from stsmeter.sts import amount, digits
from stsmeter.sts.decoder import Decoder, make_cipher

IEC_KEY = bytes.fromhex("0ABC12DEF3456789")


# --- digits and class (spec 2, 3) ---

def test_spec_example_digits_to_block():
    block = bytearray(8)
    assert digits.to_block(b"29054347139309851356", block) == 0
    assert block.hex() == "9335c6c96b7352dc"  # E, before decryption (spec 11.1 example)


@pytest.mark.parametrize("text,detail", [
    ("2905434713930985135", "not 20 digits"),
    ("290543471393098513561", "not 20 digits"),
    ("2905434713930985135a", "not 20 digits"),
    ("2905 434713930985135", "not 20 digits"),
    ("", "not 20 digits"),
    ("73786976294838206464", "value >= 2^66"),  # 2**66
    ("99999999999999999999", "value >= 2^66"),
    ("73786976294838206463", "class 3 is reserved"),  # 2**66 - 1 has class bits 11
])
def test_format_rejections(text, detail):
    tok = Decoder(make_cipher("07", IEC_KEY)).decode(text)
    assert (tok.error, tok.detail) == ("format", detail)


def test_non_text_input_is_a_format_error():
    dec = Decoder(make_cipher("07", IEC_KEY))
    for entry in (None, 12345678901234567890, ["1"] * 20):
        assert dec.decode(entry).error == "format"


def test_crc_and_function_rejections():
    dec = Decoder(make_cipher("07", IEC_KEY))
    assert dec.decode("29054347139309851357").error == "crc"  # last digit mistyped
    other = Decoder(make_cipher("07", bytes.fromhex("E653341F9D5BF36F")))
    assert other.decode("29054347139309851356").error == "crc"  # another meter's key
    # a well-formed class 2 token with unknown subclass 10, CRC correct
    tok = vending.tid_token(2, 10, 0, 1000, 0)
    assert dec.decode(vending.encode(tok, dec.cipher)).error == "function"


def test_class1_decodes_without_a_key():
    tok = Decoder().decode("56493153725450313471")
    assert tok.error is None and type_name(tok) == "test_display_1"
    assert control(tok) == 2**36 - 1
    assert Decoder().decode("29054347139309851356").error == "crc"


def test_unsupported_algorithm():
    with pytest.raises(ValueError):
        make_cipher("09", bytes(8))  # EA09 (DEA) is withdrawn and not supported
    with pytest.raises(ValueError):
        make_cipher("07", bytes(16))


# --- amount (spec 6) ---

BOUNDARIES = [  # spec 6.3: (t, field, decodes to)
    (1, 0x0001, 1), (256, 0x0100, 256), (16383, 0x3FFF, 16383), (16384, 0x4000, 16384),
    (16385, 0x4001, 16394), (180214, 0x7FFF, 180214), (180223, 0x8000, 180224),
    (180224, 0x8000, 180224), (1818524, 0xBFFF, 1818524), (1818623, 0xC000, 1818624),
    (1818624, 0xC000, 1818624), (18201624, 0xFFFF, 18201624),
]


@pytest.mark.parametrize("t,field,back", BOUNDARIES)
def test_amount_boundaries(t, field, back):
    assert amount.encode(t) == field
    assert amount.decode(field) == back


def test_amount_every_exponent_edge_round_trips_up():
    for e in range(4):
        lo = amount.decode(e << 14)
        hi = amount.decode((e << 14) | 0x3FFF)
        for t in (lo, lo + 1, hi - 1, hi):
            got = amount.decode(amount.encode(t))
            assert t <= got < t + 10**e


def test_amount_out_of_range():
    assert amount.encode(18201625) == -1
    assert amount.encode(-1) == -1
    assert amount.decode(0xFFFF) == amount.MAX == 18201624


def test_amount_rounds_up_never_down():
    # 1.82 kWh is 18.2 tenths: the customer gets 1.9, not NectarAPI's truncated 1.8
    assert sts_requests.decimal_units("1.82", 1) == 19
    assert sts_requests.decimal_units(1.8, 1) == 18
    assert sts_requests.decimal_units("100.00000", 5) == 10000000


def test_currency_code():
    assert amount.decode_currency(*amount.encode_currency(10000000)) == 10000624  # spec 17.4
    field, rnd = amount.encode_currency(-5)
    assert rnd & 8 and amount.decode_currency(field, rnd) == -5
    for t in (0, 1, 16383, 16384, 10**9, 10**20):
        got = amount.decode_currency(*amount.encode_currency(t))
        assert t <= got and got - t < max(1, t // 10**3)


# --- TID (spec 7) ---

@pytest.mark.parametrize("base,when,want", [
    (1993, (1996, 3, 25, 13, 55), 1698595),
    (1993, (2004, 3, 1, 13, 55), 5871715),
    (2014, (2014, 1, 1, 8, 5), 485),
    (1993, (2020, 1, 1, 8, 0), 14200320),
])
def test_tid_examples(base, when, want):
    assert tid.from_datetime(base, *when) == want
    assert tid.to_datetime(base, want) == when


def test_tid_rollover_instants():
    for base in BASE_YEARS:
        assert tid.iso(base, tid.MAX) == "%d-11-24T20:15:00Z" % (base + 31)


def test_tid_dates_match_the_calendar():
    start = datetime.datetime(2014, 1, 1)
    for minutes in range(0, 2**24, 9973):
        dt = start + datetime.timedelta(minutes=minutes)
        assert tid.to_datetime(2014, minutes) == (dt.year, dt.month, dt.day, dt.hour, dt.minute)


def test_vending_refuses_tokens_beyond_ken():
    """CTSA16: KEN 85 and a token dated 2004-04-01 09:30 (TID >> 16 = 90): refused."""
    req = {"op": "generate", "type": "electricity_credit", "amount": "0.1", "key_ken": 85,
           "issued": "2004-04-01T09:30", "base_date": 1993, "rnd": 5,
           "key": "AE806AB615622E51", "alg": "sta"}
    assert sts_requests.answer(req)["error"] == "request"
    req["key_ken"] = 90
    assert "token" in sts_requests.answer(req)
