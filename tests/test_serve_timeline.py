"""Status spans (engine/evaluation/timeline.py) against `evaluate` as of each date.

The service answers "may P bill on D?" from spans folded once per person; these
tests hold the spans to what the batch engine says as of every date on which
anything happens, the days either side, and a few others, on random Jining and
Zhanjiang ledgers with re-applications and institution events.
"""

from __future__ import annotations

import datetime as dt
from itertools import chain

from conftest import policy, write_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.evaluation.fold import evaluate
from engine.evaluation.timeline import Sanction, Timeline, span_on
from engine.ledger.read import INSTITUTION_TYPES, read_ledger

ONE = dt.timedelta(days=1)
PEOPLE = ["P1", "P2", "P3"]
SITES = {"P1": ["H1"], "P2": ["H2"], "P3": ["H1", "H2"]}
CODES = {
    "jining": ["A1", "B1", "B3", "C1", "C2", "D1", "TEST-FAIL"],
    "zhanjiang": ["A1", "B1", "B2", "C1", "C3", "D1", "D5", "LOSS"],
}
_wide = st.integers(0, 3 * 365 - 1).map(lambda n: dt.date(2023, 1, 1) + dt.timedelta(days=n))
# a few dates many rows share, so that one person's findings of a date (one step,
# docs/semantics.md "Same day") and a date's mixed events are common, not rare
_crowded = st.sampled_from(
    [dt.date(2023, 5, 20), dt.date(2024, 2, 29), dt.date(2024, 11, 1), dt.date(2025, 6, 30)]
)
day = st.one_of(_wide, _crowded)


def ledger_rows(codes):
    violation = st.fixed_dictionaries(
        {
            "person": st.sampled_from(PEOPLE),
            "date": day.map(str),
            "items": st.lists(st.sampled_from(codes), min_size=1, max_size=2, unique=True).map(
                "|".join
            ),
            "amount": st.sampled_from(["500", "15000", "40000"]),
        }
    )
    reapply = st.fixed_dictionaries(
        {"person": st.sampled_from(PEOPLE), "date": day.map(str), "type": st.just("reapply")}
    )
    institution = st.fixed_dictionaries(
        {
            "person": st.just(""),
            "date": day.map(str),
            "type": st.sampled_from(sorted(INSTITUTION_TYPES)),
            "institution": st.sampled_from(["H1", "H2"]),
        }
    )
    row = st.one_of(violation, violation, violation, reapply, institution)
    return st.lists(row, min_size=1, max_size=20)


def roster(tmp_path):
    rows = [{"person": p, "institution": s} for p, sites in SITES.items() for s in sites]
    return write_csv(tmp_path / "roster.csv", rows, ["person", "institution"])


def behind(status: str, actions, d: dt.date) -> Sanction | None:
    """The sanction behind a status, read from an outcome's actions as of `d`."""
    kind = {"suspended": "suspend", "awaiting_reapplication": "suspend"}.get(status)
    kind = kind or ("terminate" if status == "terminated" else None)
    if kind is None:
        return None
    ended = status == "awaiting_reapplication"
    best = None
    for a in actions:  # the latest started; of two started the same day, the later one
        if "superseded_by" in a.extra:  # never took effect
            continue
        if a.action == kind and a.start <= d and ((a.end is not None and a.end < d) is ended):
            best = a if best is None or a.start >= best.start else best
    return None if best is None else Sanction.of(best)


def check(tmp_path, name, rows):
    pol = policy(name)
    for n, r in enumerate(rows):
        r["id"] = f"E{n:03d}"
    ledger = read_ledger(str(write_csv(tmp_path / "events.csv", rows)), pol, str(roster(tmp_path)))
    final = evaluate(pol, ledger, dt.date(2030, 12, 31))
    timeline = Timeline(pol, ledger.roster)
    spans = {}
    dates = {dt.date(2022, 6, 1), dt.date(2030, 12, 31)}
    for person in final.people:
        code = person.person
        sites = set(SITES[code])
        mine = [
            e for e in ledger.events if e.person == code or e.institution in sites and not e.person
        ]
        # a date's rows the other way round: the order within a date never matters
        order = {id(e): n for n, e in enumerate(mine)}
        mine.sort(key=lambda e: (e.date, -order[id(e)]))
        spans[code] = got = timeline.spans(code, mine)
        assert got[0].start == dt.date.min
        assert all(a.start < b.start for a, b in zip(got, got[1:], strict=False))
        assert all(not a.same_answer(b) for a, b in zip(got, got[1:], strict=False))
        dates |= {e.date for e in mine} | {s.start for s in got[1:]}
        dates |= {x for a in person.actions for x in (a.start, a.end) if x is not None}
    for d in sorted(set(chain.from_iterable((x - ONE, x, x + ONE) for x in dates))):
        for want in evaluate(pol, ledger, d).people:
            got = span_on(spans[want.person], d)
            key = (want.person, d)
            assert (got.status, got.reapply_from) == (want.status, want.reapply_from), key
            assert got.sanction == behind(want.status, want.actions, d), key


SETTINGS = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(rows=ledger_rows(CODES["zhanjiang"]))
def test_zhanjiang_spans_agree_with_evaluate_on_every_date(tmp_path, rows):
    """Restoration by re-application (第二十条), bans by count (第十九条), cascades."""
    check(tmp_path, "zhanjiang", rows)


@SETTINGS
@given(rows=ledger_rows(CODES["jining"]))
def test_jining_spans_agree_with_evaluate_on_every_date(tmp_path, rows):
    """Automatic restoration (五(二)), the three-years rule, discretionary bans."""
    check(tmp_path, "jining", rows)


def test_a_suspension_then_restoration_reads_as_three_spans(tmp_path):
    """Jining 五(一): 6 points in a year suspend for 3 months, 五(二) automatic return."""
    rows = [
        {"person": "P1", "date": "2024-05-10", "items": "C1"},  # 6 points: 6 <= deducted <= 8
    ]
    pol = policy("jining")
    for n, r in enumerate(rows):
        r["id"] = f"E{n}"
    ledger = read_ledger(str(write_csv(tmp_path / "e.csv", rows)), pol)
    spans = Timeline(pol, None).spans("P1", ledger.events)
    assert [(s.start, s.status) for s in spans] == [
        (dt.date.min, "active"),
        (dt.date(2024, 5, 10), "suspended"),
        (dt.date(2024, 8, 10), "active"),  # 3 months from 05-10 end on 08-09
    ]
    assert spans[1].sanction.end == dt.date(2024, 8, 9)
    assert spans[1].sanction.cite == "五(一)"
