"""Key change token sets on the meter, in MicroPython and CPython."""

import pytest
from meterkit import KEY07, KEY11, Bench, credit, make, minutes_after_start, of

NEW07 = "1122334455667788"
NEW11 = "B208834372EF892EF6E04C28593090D4"


@pytest.fixture(params=["micropython", "cpython"])
def runtime(request):
    return request.param


def kct(key=KEY07, alg="sta", new=NEW07, **kw):
    fields = dict(krn=2, kt=2, ti=5, ken=255)
    fields.update(kw)
    return make("key_change", key=key, alg=alg, new_key=new, **fields)


def test_64bit_set_any_order_installs_key(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    s1, s2 = kct(krn=3, ti=7, ken=200)
    ev = b.run("token " + s2, "status", "token " + s1, "status",
               "token " + credit(1, minutes=5),  # old key: no longer authenticates
               "token " + credit(2, key=NEW07, minutes=6))
    res = of(ev, "result")
    assert res[0]["result"] == "kct_partial" and res[0]["sections"] == [2]
    assert of(ev, "status")[0]["key_change_pending"] == [2]
    assert res[1]["result"] == "accept" and res[1]["krn"] == 3
    st = of(ev, "status")[1]
    got = (st["krn"], st["kt"], st["ti"], st["ken"], st["key_change_pending"])
    assert got == (3, 2, "07", 200, [])
    assert [r["result"] for r in res[2:]] == ["crc", "accept"]


def test_128bit_set_needs_four_sections_and_sets_sgc(tmp_path, runtime):
    b = Bench(tmp_path, runtime, decoder_key=KEY11, ea="11")
    sections = kct(key=KEY11, alg="misty1", new=NEW11, sgc=654321, krn=4)
    assert len(sections) == 4
    codes = b.results(*("token " + t for t in (sections[3], sections[0], sections[2],
                                               sections[1])))
    assert codes == ["kct_partial"] * 3 + ["accept"]
    st = b.status()
    assert (st["krn"], st["sgc"], st["ea"]) == (4, "654321", "11")
    assert b.results("token " + credit(1, key=NEW11, alg="misty1")) == ["accept"]


def test_partial_set_survives_power_cycle_but_not_timeout(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    s1, s2 = kct()
    assert b.results("token " + s1, "power-cycle", "token " + s2) == ["kct_partial", "accept"]
    b2 = Bench(tmp_path / "b2", runtime)
    ev = b2.run("token " + s1, "advance 601", "status", "token " + s2)
    assert of(ev, "key_change")[0]["state"] == "timeout"
    assert of(ev, "status")[0]["key_change_pending"] == []
    assert [r["result"] for r in of(ev, "result")] == ["kct_partial", "kct_partial"]


def test_contradicting_section_restarts_the_set(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    a1, a2 = kct(new=NEW07)
    c1, c2 = kct(new="99AABBCCDDEEFF00")
    ev = b.run("token " + a1, "token " + a1, "token " + a2[:0] + c1, "status", "token " + c2)
    assert [r["result"] for r in of(ev, "result")] == [
        "kct_partial", "kct_partial", "kct_partial", "accept"]
    assert of(ev, "status")[0]["key_change_pending"] == [1]  # c1 replaced a1
    assert b.results("token " + credit(1, key="99AABBCCDDEEFF00")) == ["accept"]


def test_change_to_ditk_refused_unless_ditk(tmp_path, runtime):
    b = Bench(tmp_path, runtime, key_type=2)
    s1, s2 = kct(kt=0)
    assert b.results("token " + s1, "token " + s2) == ["kct_partial", "key_type"]
    assert b.status()["kt"] == 2
    b0 = Bench(tmp_path / "ditk", runtime, key_type=0)
    assert b0.results("token " + s1, "token " + s2) == ["kct_partial", "accept"]
    assert b0.status()["kt"] == 0


def test_rollover_clears_tids_and_moves_base_date(tmp_path, runtime):
    b = Bench(tmp_path, runtime, base_date=2014)
    s1, s2 = kct(ro=1)
    early = make("electricity_credit", key=NEW07, amount="1", tid=100)  # 2035-based TID 100
    ev = b.run("token " + s1, "token " + s2, "status", "token " + early, "token " + early)
    st = of(ev, "status")[0]
    assert st["base_date"] == 2035 and st["tids"] == []
    assert [r["result"] for r in of(ev, "result")] == ["kct_partial", "accept", "accept", "used"]


def test_3kct_on_64bit_and_sections_3_4_on_ea07_are_function_errors(tmp_path, runtime):
    b = Bench(tmp_path, runtime)
    s1, _ = kct(res=1)
    s3 = make("key_change_1", key=KEY07, new_key=NEW07, krn=2, kt=2, ti=1)
    assert b.results("token " + s1) == ["function"]
    assert b.results("token " + s3) == ["kct_partial"]


def test_key_change_sections_are_not_tid_checked(tmp_path, runtime):
    b = Bench(tmp_path, runtime, ken=0)  # KEN 0: every TID token of 2024 is expired
    s1, s2 = kct()
    assert b.results("token " + credit(1), "token " + s1, "token " + s2) == [
        "key_expired", "kct_partial", "accept"]
    assert minutes_after_start(60) not in b.status()["tids"]
