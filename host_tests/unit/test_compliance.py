"""Every public compliance vector, generate and decode, in all three runtimes.

CPython runs the codec in-process; the MicroPython unix port (64-bit) and the
webassembly port (32-bit small ints, as on a board) each answer the whole batch in one
process. All three must give the expected tokens and fields, and the same bytes.
"""

import json

import pytest
import sts_requests
from conftest import DATA, TOOLS, load_vectors, run_micropython, run_wasm
from vector_requests import cases, check_answer

CASES = cases(load_vectors())


def batch_file(tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(json.dumps(req) + "\n" for _, req, _ in CASES))
    return path


def check_all(lines):
    assert len(lines) == len(CASES)
    bad = []
    for (v, _, kind), line in zip(CASES, lines):
        diff = check_answer(v, kind, json.loads(line))
        if diff:
            bad.append((v["id"], kind, diff))
    assert bad == []


@pytest.mark.parametrize("v,req,kind", CASES, ids=["%s:%s" % (c[0]["id"], c[2]) for c in CASES])
def test_vector_cpython(v, req, kind):
    assert check_answer(v, kind, sts_requests.answer(req)) == []


def test_vector_counts():
    kinds = [kind for _, _, kind in CASES]
    assert kinds.count("generate") == 310 and kinds.count("decode") == 368


@pytest.fixture(scope="module")
def cpython_lines(tmp_path_factory):
    path = batch_file(tmp_path_factory.mktemp("cp"))
    return [sts_requests.answer_line(line) for line in path.read_text().splitlines()]


def test_vectors_micropython_unix(tmp_path, cpython_lines):
    proc = run_micropython(TOOLS / "sts_requests.py", stdin=batch_file(tmp_path).read_text())
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    check_all(lines)
    assert lines == cpython_lines


def test_vectors_micropython_32bit(tmp_path, cpython_lines):
    proc = run_wasm(TOOLS / "sts_requests.py", args=["/in.jsonl"],
                    files=[(batch_file(tmp_path), "/in.jsonl"),
                           (TOOLS / "jsonline.py", "/lib/jsonline.py")])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    check_all(lines)
    assert lines == cpython_lines


def test_extra_public_vectors():
    """Spec 17.4 cross-checks outside NectarAPI (kf_sts_token.py), incl. a CRC_C token."""
    extra = json.loads((DATA / "extra_vectors.json").read_text())["vectors"]
    for v in extra:
        answer = sts_requests.answer(v["request"])
        for k, want in v["expect"].items():
            assert answer.get(k) == want, (v["id"], k, answer)
