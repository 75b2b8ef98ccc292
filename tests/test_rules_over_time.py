"""Issue 14, "Rules over time": scenario tests written from the texts, one section per point.

Expected values are worked out by hand in each docstring, with the dates of
docs/semantics.md: a sanction of N days/months from D runs to D + N - 1 day; a ban of
N years from D allows a re-application from D + N years.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from conftest import actions, person

from engine.errors import EvaluationError
from engine.policy.loader import check_policy, load_policy

FMT = Path(__file__).parent / "fixtures" / "format"


@functools.cache
def pol(name: str):
    return load_policy(FMT / f"{name}.yaml")


def v(who: str, date: str, items: str, **kw) -> dict:
    return {"person": who, "date": date, "items": items, **kw}


# ---- §3c "at most N days" with no floor (暂停...不超过30天) ------------------------------------


def test_bound_with_no_floor_is_undecided_and_dated_by_its_bound(run):
    """suspend-bound 第三条: 3 points or more -> 暂停...不超过30天.

    P: 2024-03-01 M3, no decided length: the suspension is reported undecided, with its
    bound, and runs at the latest to 2024-03-01 + 30 days - 1 = 2024-03-30 (never a
    made-up 1 day). As of 03-15 P is suspended; by the year's end restored (03-31).
    Q: the same finding with the decision's `suspension: 10 days`: 03-01 .. 03-10.
    """
    rows = [v("P", "2024-03-01", "M3"), v("Q", "2024-03-01", "M3", suspension="10 days")]
    r = run(pol("suspend-bound"), rows, as_of="2024-03-15")
    (s,) = actions(r, "P", "suspend")
    assert (s["start"], s["end"]) == ("2024-03-01", "2024-03-30")
    assert (s["discretionary"], s["range"], s["undecided"]) == (True, "up to 30 days", True)
    assert person(r, "P")["status"] == "suspended"
    (q,) = actions(r, "Q", "suspend")
    assert (q["end"], q["decided"], "undecided" in q) == ("2024-03-10", "10 days", False)
    r = run(pol("suspend-bound"), rows, as_of="2024-12-31")
    assert person(r, "P")["status"] == "active"
    assert [a["start"] for a in actions(r, "P", "restore")] == ["2024-03-31"]


def test_decided_length_above_the_bound_is_refused(run):
    """不超过30天: a decided 31 days is outside the bound, a bad row with its line."""
    with pytest.raises(EvaluationError, match="outside suspend up to 30 days"):
        run(pol("suspend-bound"), [v("P", "2024-03-01", "M3", suspension="31 days")])


def test_ban_with_no_floor(run):
    """第四条 视情节在不超过3年的期限内不得再次申请: `ban at most 3 years`.

    2024-05-01 M12: 12 points, terminated; the ban is undecided, dated by its bound:
    re-apply from 2024-05-01 + 3 years = 2027-05-01 at the latest.
    """
    r = run(pol("suspend-bound"), [v("P", "2024-05-01", "M12")])
    (b,) = actions(r, "P", "ban")
    assert (b["end"], b["undecided"], b["range"]) == ("2027-04-30", True, "up to 3 years")
    assert person(r, "P")["reapply_from"] == "2027-05-01"


def test_zero_floor_points_to_the_bound_phrase(tmp_path):
    """`suspend 0 to 30 days` stays an error (a length of zero), whose hint gives the
    phrase that says 不超过30天."""
    text = (FMT / "suspend-bound.yaml").read_text("utf-8")
    assert "suspend up to 30 days" in text
    (tmp_path / "suspend-bound.txt").write_bytes((FMT / "suspend-bound.txt").read_bytes())
    bad = tmp_path / "suspend-bound.yaml"
    bad.write_text(text.replace("suspend up to 30 days", "suspend 0 to 30 days"), "utf-8")
    _, diags = check_policy(bad)
    (d,) = [d for d in diags if d.severity == "error"]
    assert d.code == "action" and "a length of zero" in d.message
    assert "`suspend up to 30 days`" in d.hint


# ---- §3g validate misses -------------------------------------------------------------------


def _variant(tmp_path, name: str, *swaps: tuple[str, str]):
    """A format fixture with text swapped (each swap asserted to happen), checked."""
    text = (FMT / f"{name}.yaml").read_text("utf-8")
    for old, new in swaps:
        assert old in text, old
        text = text.replace(old, new)
    src = f"{name}.txt"
    (tmp_path / src).write_bytes((FMT / src).read_bytes())
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, "utf-8")
    _, diags = check_policy(path)
    return [d for d in diags if d.severity == "error"]


def test_text_outside_a_closed_set_is_an_error(tmp_path):
    """`reached_by == "one-shot"` can never hold: the ban would silently never fire.
    The error points at the string (line 21 of bans-reached.yaml, column of `"one-shot"`
    inside the flow mapping) and names the two values."""
    (e,) = _variant(
        tmp_path, "bans-reached", ('reached_by == "single"', 'reached_by == "one-shot"')
    )
    assert e.code == "value"
    assert e.message == '`reached_by` is never "one-shot": its values are "accumulation", "single"'
    line = (tmp_path / "bans-reached.yaml").read_text("utf-8").splitlines()[e.span.line - 1]
    assert line[e.span.column - 1 :].startswith('"one-shot"')


@pytest.mark.parametrize(
    "swap,word,hint",
    [
        (
            ('reached_by == "single"', '\'reached_by in ["single", "accumulaton"]\''),
            "accumulaton",
            'did you mean "accumulation"?',
        ),
        (('reached_by == "single"', 'cause == "fraud"'), "fraud", None),
        (('reached_by == "single"', 'event.type != "reaply"'), "reaply", 'did you mean "reapply"?'),
    ],
    ids=["list", "cause", "event-type"],
)
def test_closed_sets_of_texts(tmp_path, swap, word, hint):
    """A list member, a `cause` no item or rule has (bans-reached has no `cause`: only
    the engine's points / rule / item), an event type the ledger refuses."""
    (e,) = _variant(tmp_path, "bans-reached", swap)
    assert e.code == "value" and f'never "{word}"' in e.message
    if hint:
        assert e.hint == hint


def test_a_named_cause_is_in_the_closed_set(tmp_path):
    """Once an item says `cause: fraud`, `cause == "fraud"` is a value it can take."""
    errors = _variant(
        tmp_path,
        "bans-reached",
        ("{code: M12, points: 12,", "{code: M12, points: 12, cause: fraud,"),
        ('reached_by == "single"', 'cause == "fraud"'),
    )
    assert errors == []


def test_reached_by_single_needs_a_top(tmp_path):
    """reached_by is "single" when one act is worth the top of the scale (initial or
    cap); with neither, the 3-year ban of bans-reached could never match."""
    errors = _variant(
        tmp_path, "bans-reached", ('cycle: {start: "01-01", cap: 12,', 'cycle: {start: "01-01",')
    )
    assert [(e.code, e.span.line) for e in errors] == [("reached-by", 21)]


def test_initial_below_the_cap(tmp_path):
    """`initial: 10` beside `cap: 12`, with an item worth 12: the cap lets the score
    fall to -2 (an error at the cap), the item is worth more than the scale's 10, and
    the band `deducted >= 12` lies beyond it."""
    errors = _variant(
        tmp_path,
        "bans-reached",
        ("scale: {kind: deductions,", "scale: {kind: deductions, initial: 10,"),
    )
    assert [e.code for e in errors] == ["scale", "points", "unreachable"]
    assert (
        "`cycle.cap` 12 is above `scale.initial` 10: a score could fall to -2" in errors[0].message
    )
    assert errors[1].message == "item `M12` is worth 12, more than the scale's 10"


def test_event_types_agree_with_the_ledger():
    from engine.ledger.read import EVENT_TYPES
    from engine.policy.scopes import EVENT_TYPES as CLOSED

    assert frozenset(EVENT_TYPES) == CLOSED


# ---- §3h diff compares bands as sets of reachable totals -----------------------------------

DIFF = Path(__file__).parent / "fixtures" / "diff"


def _tiers_variant(tmp_path, *swaps: tuple[str, str]):
    text = (DIFF / "base.yaml").read_text("utf-8")
    for old, new in swaps:
        assert old in text, old
        text = text.replace(old, new)
    (tmp_path / "source.txt").write_bytes((DIFF / "source.txt").read_bytes())
    path = tmp_path / "variant.yaml"
    path.write_text(text, "utf-8")
    from engine.compare.diff import diff_policies

    d = diff_policies(load_policy(DIFF / "base.yaml"), load_policy(path))
    return [(c.section, c.element, c.field, c.old, c.new) for c in d.changes]


def test_same_reachable_totals_are_the_same_band(tmp_path):
    """On base.yaml's whole-point scale (unit 1) `4 < deducted < 6` holds only 5, as
    `5 <= deducted < 6` does; `5 < deducted < 9` holds 6, 7, 8 as `6 <= deducted <= 8`;
    `8 < deducted < 12` 9..11; `deducted > 11` 12 and up: no change at all."""
    assert (
        _tiers_variant(
            tmp_path,
            ("when: 5 <= deducted < 6,", "when: 4 < deducted < 6,"),
            ("when: 6 <= deducted <= 8,", "when: 5 < deducted < 9,"),
            ("when: 9 <= deducted <= 11,", "when: 8 < deducted < 12,"),
            ("when: deducted >= 12,", "when: deducted > 11,"),
        )
        == []
    )


def test_a_band_that_loses_a_total_is_changed(tmp_path):
    """`5 < deducted < 8` no longer holds 8, which `8 <= deducted <= 11` now holds: both
    bounds changed, shown as written."""
    assert _tiers_variant(
        tmp_path,
        ("when: 6 <= deducted <= 8,", "when: 5 < deducted < 8,"),
        ("when: 9 <= deducted <= 11,", "when: 8 <= deducted <= 11,"),
    ) == [
        ("tiers", "suspend-3m", "bounds", "6 <= deducted <= 8", "5 < deducted < 8"),
        ("tiers", "suspend-6m", "bounds", "9 <= deducted <= 11", "8 <= deducted <= 11"),
    ]
