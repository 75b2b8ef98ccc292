"""The fuzz suite, bounded for the normal test run (issue 13): the targets of
tests/fuzz/targets.py driven by hypothesis. Longer runs: tools/fuzz.py (atheris),
docs/testing.md "Fuzzing"."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fuzz import targets  # noqa: E402

HEADER = b"id,person,date,type,items,institution,inspection,amount,points,end\n"
CELLS = st.sampled_from(
    [
        b"",
        b"P1",
        b"2024-03-05",
        b"2024/3/5",
        b"B1",
        b"A1|B2",
        b"violation",
        b"JNH01",
        b"\xe5\xbc\xa0\xe4\xb8\x89",
        b"\xd5\xc5\xc8\xfd",
        b'"',
        b",",
        b"\x00",
        b"12.5",
        b"-1",
        b"\xff",
        b"\r",
        b"\xef\xbb\xbf",
        "合计".encode(),
        "人员编码".encode(),
    ]
)
ROWS = st.lists(st.lists(CELLS, max_size=12).map(b",".join), max_size=8).map(b"\n".join)
BUDGET = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 40)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@BUDGET
@given(st.integers(0, 3), st.one_of(ROWS, st.binary(max_size=300)))
def test_csv_in_each_encoding(pick, body):
    targets.csv_target(bytes([pick]) + HEADER + body)


@BUDGET
@given(
    st.lists(
        st.one_of(
            st.dictionaries(
                st.sampled_from(["person", "Person", "date", "items", "amount", "x"]),
                st.one_of(st.text(max_size=12), st.integers(), st.none(), st.booleans()),
                max_size=5,
            ).map(lambda d: json.dumps(d).encode()),
            st.binary(max_size=40),
        ),
        max_size=6,
    ).map(b"\n".join)
)
def test_jsonl(body):
    targets.jsonl_target(body)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=200), st.just(b"")))
def test_xlsx(body):
    targets.xlsx_target(body)


POLICY = (Path(__file__).resolve().parent.parent / "policies" / "jining.yaml").read_bytes()


@BUDGET
@given(st.integers(0, len(POLICY)), st.integers(0, 200), st.binary(max_size=20))
def test_policy_loader(at, cut, noise):
    targets.policy_target(POLICY[:at] + noise + POLICY[at + cut :])
