"""Invariants of evaluation, checked with hypothesis on random Jining and Zhanjiang ledgers."""

from __future__ import annotations

import datetime as dt
import random

from conftest import policy, write_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.evaluation.fold import evaluate
from engine.ledger.read import read_ledger
from engine.report.formats import render

SEVERITY = {"active": 0, "awaiting_reapplication": 1, "suspended": 1, "terminated": 2}
J_CODES = (
    [f"A{i}" for i in range(1, 9)]
    + [f"B{i}" for i in range(1, 6)]
    + [f"C{i}" for i in range(1, 5)]
    + ["D1", "TEST-FAIL"]
)
Z_CODES = ["A1", "B1", "B2", "C1", "C3", "D1", "D5", "LOSS"]

day = st.integers(0, 3 * 365 - 1).map(lambda n: dt.date(2023, 1, 1) + dt.timedelta(days=n))


def rows_strategy(codes):
    row = st.fixed_dictionaries(
        {
            "person": st.sampled_from(["P1", "P2", "P3"]),
            "date": day.map(str),
            "items": st.lists(st.sampled_from(codes), min_size=1, max_size=2, unique=True).map(
                "|".join
            ),
            "amount": st.sampled_from(["500", "2000", "15000", "40000"]),
        }
    )
    return st.lists(row, min_size=1, max_size=25)


def _eval(tmp_path, name, rows, as_of="2025-12-31"):
    pol = policy(name)
    path = write_csv(tmp_path / "events.csv", rows)
    ledger = read_ledger(str(path), pol)
    return evaluate(pol, ledger, dt.date.fromisoformat(as_of))


SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(rows=rows_strategy(J_CODES), extra=st.tuples(day, st.sampled_from(J_CODES)))
def test_adding_a_violation_never_helps(tmp_path, rows, extra):
    """One more finding never lowers a cycle's total nor makes the status milder."""
    before = _eval(tmp_path, "jining", rows)
    more = rows + [{"person": "P1", "date": str(extra[0]), "items": extra[1], "amount": "500"}]
    after = _eval(tmp_path, "jining", more)
    b = {p.person: p for p in before.people}
    a = {p.person: p for p in after.people}
    for code, p in b.items():
        q = a[code]
        totals_b = {c.period: c.deducted for c in p.cycles if c.registration == 1}
        totals_a = {c.period: c.deducted for c in q.cycles if c.registration == 1}
        for period, total in totals_b.items():
            assert totals_a.get(period, 0) >= total
        assert SEVERITY[q.status] >= SEVERITY[p.status]


@SETTINGS
@given(rows=rows_strategy(Z_CODES), seed=st.integers(0, 10**6))
def test_row_order_does_not_matter(tmp_path, rows, seed):
    """Shuffling rows with distinct dates never changes the output."""
    seen, distinct = set(), []
    for n, r in enumerate(rows):
        if r["date"] not in seen:
            seen.add(r["date"])
            distinct.append({**r, "id": f"E{n}"})  # without ids an event is its file line
    shuffled = list(distinct)
    random.Random(seed).shuffle(shuffled)
    a = "".join(render(_eval(tmp_path, "zhanjiang", distinct), "json"))
    b = "".join(render(_eval(tmp_path, "zhanjiang", shuffled), "json"))
    assert a == b


@SETTINGS
@given(rows=rows_strategy(J_CODES))
def test_totals_stay_within_the_scale(tmp_path, rows):
    """四: a year's deductions never exceed the 12 points a person starts with."""
    out = _eval(tmp_path, "jining", rows)
    for p in out.people:
        for c in p.cycles:
            assert 0 <= c.deducted <= 12 and c.score == 12 - c.deducted


# ---- issue 14 §2: a ledger has no order within a day -----------------------------------------

FEW_DAYS = st.integers(0, 6).map(lambda n: dt.date(2024, 4, 1) + dt.timedelta(days=60 * n))
ROSTER = [
    {"person": "P1", "institution": "H1"},
    {"person": "P2", "institution": "H1"},
    {"person": "P3", "institution": "H2"},
]


def _day_rows(codes, credits):
    """Rows on few dates (so that a person often has several events on one), of every
    type: findings, re-applications, credits and institution events."""
    finding = st.fixed_dictionaries(
        {
            "type": st.just(""),
            "person": st.sampled_from(["P1", "P2", "P3"]),
            "date": FEW_DAYS.map(str),
            "items": st.lists(st.sampled_from(codes), min_size=1, max_size=2, unique=True).map(
                "|".join
            ),
            "amount": st.sampled_from(["500", "2000", "15000", "40000"]),
        }
    )
    other = st.one_of(
        st.fixed_dictionaries(
            {
                "type": st.just("reapply"),
                "person": st.sampled_from(["P1", "P2", "P3"]),
                "date": FEW_DAYS.map(str),
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("credit"),
                "person": st.sampled_from(["P1", "P2", "P3"]),
                "date": FEW_DAYS.map(str),
                "items": st.sampled_from(credits),
            }
        )
        if credits
        else st.nothing(),
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(["institution_suspended", "institution_terminated"]),
                "institution": st.sampled_from(["H1", "H2"]),
                "date": FEW_DAYS.map(str),
            }
        ),
    )
    return st.lists(st.one_of(finding, finding, finding, other), min_size=2, max_size=30)


def _report(tmp_path, pol, rows, fmt):
    path = write_csv(tmp_path / "events.csv", rows)
    roster = write_csv(tmp_path / "roster.csv", ROSTER, ["person", "institution"])
    ledger = read_ledger(str(path), pol, str(roster))
    return "".join(render(evaluate(pol, ledger, dt.date(2025, 6, 30)), fmt))


def _fmt_policy(name):
    from conftest import format_policy

    return format_policy(name)


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 10**6))
def test_any_permutation_of_the_rows_gives_the_same_output(tmp_path, data, seed):
    """Shuffling the rows, same-day rows included, gives byte-identical JSON and CSV:
    a person's findings of a date are one step, and the other events of a date go
    in a fixed order (re-applications, institution events, findings, credits)."""
    name, pol, codes, credits = data.draw(
        st.sampled_from(
            [
                ("jining", policy("jining"), J_CODES, []),
                ("zhanjiang", policy("zhanjiang"), Z_CODES, []),
                ("credits", _fmt_policy("credits"), ["A1", "A3"], ["T1", "T2"]),
            ]
        ),
        label="policy",
    )
    rows = [{**r, "id": f"E{n}"} for n, r in enumerate(data.draw(_day_rows(codes, credits)))]
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    for fmt in ("json", "csv"):
        assert _report(tmp_path, pol, rows, fmt) == _report(tmp_path, pol, shuffled, fmt), name
