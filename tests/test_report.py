"""The report's JSON text is exactly json.dumps of the documented shape.

`report.PersonJson` assembles a person's record from cached pieces for speed;
these tests hold it to the plain encoding of `PersonOutcome.as_dict()`, so the
shape other tools depend on cannot drift from what `as_dict` documents.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.api import evaluate_files
from engine.evaluation.outcome import ActionRec, CycleOut, PersonOutcome
from engine.report import formats as report

ROOT = Path(__file__).resolve().parent.parent


def _plain_json(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))


@pytest.mark.parametrize("city,as_of", [("jining", "2025-12-31"), ("zhanjiang", "2023-12-31")])
def test_examples_render_as_json_dumps_would(city, as_of):
    ex = ROOT / "examples" / city
    outcome = evaluate_files(
        str(ROOT / "policies" / f"{city}.yaml"),
        str(ex / "events.csv"),
        str(ex / "roster.csv"),
        dt.date.fromisoformat(as_of),
    )
    pj = report.PersonJson()
    for p in outcome.people:
        assert pj.person(p) == _plain_json(p.as_dict())
    assert any(p.actions for p in outcome.people)


_text = st.text(alphabet=st.sampled_from('aZ0 "\\\n\t中医保/'), max_size=6)
_number = st.one_of(st.integers(0, 30), st.fractions(0, 30, max_denominator=4))
_day = st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))


@st.composite
def _people(draw):
    cycles = [
        CycleOut(
            draw(_text),
            dt.date(2024, 1, 1),
            dt.date(2024, 12, 31),
            d,
            draw(st.one_of(st.none(), _number)),
            draw(st.one_of(st.none(), _text)),
            draw(st.integers(0, 5)),
            draw(_number),
            draw(st.integers(1, 3)),
        )
        for d in draw(st.lists(_number, max_size=3))
    ]
    actions = [
        ActionRec(
            draw(_text),
            draw(_day),
            draw(st.one_of(st.none(), _day)),
            draw(_text),
            draw(_text),
            draw(st.lists(_text, max_size=2)),
            draw(
                st.dictionaries(
                    _text, st.one_of(_text, _day, _number, st.dictionaries(_text, _day)), max_size=2
                )
            ),
        )
        for _ in range(draw(st.integers(0, 2)))
    ]
    facts = draw(
        st.dictionaries(
            _text,
            st.one_of(st.none(), _text, _number, st.booleans(), st.lists(_text, max_size=2)),
            max_size=2,
        )
    )
    return PersonOutcome(
        draw(_text),
        draw(st.sampled_from(["active", "suspended"])),
        cycles,
        actions,
        draw(st.one_of(st.none(), _day, st.just("never"))),
        draw(st.lists(st.dictionaries(_text, st.one_of(_text, _day)), max_size=1)),
        facts,
        draw(st.lists(_text, max_size=2)),
    )


def test_equal_values_of_other_types_are_not_confused():
    # 1 == True and hash(1) == hash(True), yet they print as 1 and true
    pj = report.PersonJson()
    one = PersonOutcome("P", "active", [], [], None, facts={"f": 1})
    true = PersonOutcome("P", "active", [], [], None, facts={"f": True})
    assert pj.person(one).endswith('"facts": {"f": 1}}')
    assert pj.person(true).endswith('"facts": {"f": true}}')


@given(st.lists(_people(), min_size=1, max_size=4))
def test_any_person_renders_as_json_dumps_would(people):
    # one renderer for several people: its caches must never hand one person's
    # piece to another whose values differ
    pj = report.PersonJson()
    for p in people + people:
        assert pj.person(p) == _plain_json(p.as_dict())


def _folded(policy, events: Path, roster: Path, as_of: str):
    from engine.evaluation.fold import Evaluator
    from engine.ledger.read import read_ledger

    ev = Evaluator(
        policy,
        read_ledger(str(events), policy, str(roster)),
        dt.date.fromisoformat(as_of),
        set(),
        None,
    )
    ev.fold_events(ev.ledger.events)
    return ev


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize(
    "city,as_of,initial",
    [
        ("jining", "2025-12-31", True),
        ("zhanjiang", "2023-12-31", True),
        ("jining", "2025-12-31", False),
    ],
)
def test_rows_render_as_outcomes_do(tmp_path, city, as_of, initial, fmt):
    # The CLI renders people from Evaluator.finish_row's plain tuples rather than
    # from PersonOutcome: the bytes must be the same, with or without an initial
    # score (a scale without one reports `score: null`).
    from engine.policy.loader import load_policy

    text = (ROOT / "policies" / f"{city}.yaml").read_text("utf-8")
    if not initial:
        lines = text.splitlines(keepends=True)
        text = "".join(ln for ln in lines if not ln.startswith("  initial:"))
        assert len(lines) == len(text.splitlines()) + 1
    path = tmp_path / f"{city}.yaml"
    path.write_text(text, "utf-8")
    shutil.copytree(ROOT / "policies" / "sources", tmp_path / "sources")
    policy = load_policy(str(path))
    assert (policy.scale.initial is not None) is initial
    ex = ROOT / "examples" / city
    by_rows, by_outcomes = (
        _folded(policy, ex / "events.csv", ex / "roster.csv", as_of) for _ in range(2)
    )
    codes = by_rows.codes()
    assert len(codes) > report.BATCH // 10
    rows = "".join(report.people_runs(by_rows, codes, fmt))
    # each person's line, byte for byte as json.dumps of the documented shape
    lines = [line.rstrip(",").strip() for line in rows.splitlines()]
    assert lines == [_plain_json(by_outcomes.finish_person(c)[0].as_dict()) for c in codes]
    people = [json.loads(line) for line in lines]
    scores = [c["score"] for p in people for c in p["cycles"]]
    assert scores and all((s is not None) is initial for s in scores)


def test_an_event_made_by_hand_may_list_its_items():
    # points.Points keys its cache on an event's item codes, a tuple: an Event made by
    # hand through the API with a list of codes holds them as a tuple, and is read the
    # same as the reader's
    from engine.evaluation.fold import evaluate
    from engine.ledger.read import Event, read_ledger
    from engine.policy.loader import load_policy

    policy = load_policy(str(ROOT / "policies" / "jining.yaml"))
    ex = ROOT / "examples" / "jining"
    as_read, by_hand = (
        read_ledger(str(ex / "events.csv"), policy, str(ex / "roster.csv")) for _ in range(2)
    )
    fields = list(Event.__slots__)
    by_hand.events = [
        Event(**{f: list(e.items) if f == "items" else getattr(e, f) for f in fields})
        for e in by_hand.events
    ]
    assert all(type(e.items) is tuple for e in by_hand.events)
    day = dt.date(2025, 12, 31)
    assert evaluate(policy, by_hand, day).as_dict() == evaluate(policy, as_read, day).as_dict()
