"""Issue 14, "Rules over time": scenario tests written from the texts, one section per point.

Expected values are worked out by hand in each docstring, with the dates of
docs/semantics.md: a sanction of N days/months from D runs to D + N - 1 day; a ban of
N years from D allows a re-application from D + N years.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FORMAT as FMT
from conftest import actions, credit, person
from conftest import format_policy as pol
from conftest import violation as v

from engine.errors import EvaluationError, PolicyError
from engine.policy.loader import check_policy, load_policy

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


# ---- §1 a regulation's history: files or a folder, checked as a set ------------------------

CITY = Path(__file__).parent / "fixtures" / "history" / "city"


def _city(tmp_path, *swaps: tuple[str, str, str], drop: tuple[str, ...] = ()) -> Path:
    """A copy of the two-version test-city history, with (file, old, new) swaps, each
    asserted to happen, and files dropped."""
    import shutil

    folder = tmp_path / "city"
    shutil.copytree(CITY, folder)
    for name in drop:
        (folder / name).unlink()
    for name, old, new in swaps:
        text = (folder / name).read_text("utf-8")
        assert old in text, old
        (folder / name).write_text(text.replace(old, new), "utf-8")
    return folder


def _validate(*args):
    from click.testing import CliRunner

    from engine.cli import cli

    return CliRunner().invoke(cli, ["validate", *map(str, args)])


def test_a_history_loads_in_date_order_with_its_code_map():
    """test-city 2023 (2023-01-01 .. 2023-12-31) and 2024 (from 2024-01-01): the 2024
    file supersedes 2023 and maps A4 -> C1 (reworded); A1 and A2 pair with B1 and B2
    by their text, A3 with A3 by its code (the diff's pairing)."""
    import datetime as dt

    from engine.policy.versions import load_history

    h = load_history(CITY)
    assert [p.version for p in h.versions] == ["2023", "2024"]
    assert h.maps == ({"A1": "B1", "A2": "B2", "A3": "A3", "A4": "C1"},)
    on = {
        d: getattr(h.in_force(dt.date.fromisoformat(d)), "version", None)
        for d in ("2022-12-31", "2023-01-01", "2023-12-31", "2024-01-01", "2030-06-01")
    }
    assert on == {
        "2022-12-31": None,
        "2023-01-01": "2023",
        "2023-12-31": "2023",
        "2024-01-01": "2024",
        "2030-06-01": "2024",
    }
    assert (h.carry("A4", 0, 1), h.carry("A1", 0, 1)) == ("C1", "B1")
    # the files given one by one, in any order, make the same history
    same = load_history([CITY / "city-2024.yaml", CITY / "city-2023.yaml"])
    assert [p.version for p in same.versions] == ["2023", "2024"]


def test_validate_checks_the_set():
    r = _validate(CITY)
    assert r.exit_code == 0, r.output
    assert (
        "`test-city`: a valid history of 2 versions (2023 2023-01-01 to 2023-12-31; "
        "2024 2024-01-01 to open)" in r.output
    )


@pytest.mark.parametrize(
    "swap,code,severity,words",
    [
        (
            ("city-2023.yaml", "to: 2023-12-31}", "to: 2024-01-31}"),
            "history",
            "error",
            'version "2024" starts on 2024-01-01 while version "2023"',
        ),
        (
            ("city-2023.yaml", "to: 2023-12-31}", "to: null}"),
            "history",
            "error",
            "is open-ended: the periods overlap",
        ),
        (
            ("city-2023.yaml", "to: 2023-12-31}", "to: 2023-11-30}"),
            "history",
            "warning",
            "no version is in force from 2023-12-01 to 2023-12-31",
        ),
        (
            ("city-2024.yaml", 'supersedes: {version: "2023",', 'supersedes: {version: "2022",'),
            "history",
            "error",
            'version "2024" supersedes "2022", but the version before it is "2023"',
        ),
        (("maps/2023-to-2024.yaml", "A4: C1", "A4: C9"), "map", "error", "`C9` is not an item"),
        (("city-2024.yaml", "id: test-city", "id: other-city"), None, None, None),
    ],
    ids=["overlap", "open-overlap", "gap", "supersedes", "map", "two-regulations"],
)
def test_validate_set_problems(tmp_path, swap, code, severity, words):
    """One problem of the set each; the position is the later version's (its
    `effective.from`, its `supersedes`, the map's line). Two ids in one folder are two
    regulations for `validate` (each valid alone), but no history for `--policy`."""
    folder = _city(tmp_path, swap)
    from engine.policy.versions import check_history, load_history

    history, _, diags = check_history(folder)
    if code is None:
        assert _validate(folder).exit_code == 0
        assert [d.code for d in diags] == ["history"]
        with pytest.raises(PolicyError, match="another regulation"):
            load_history(folder)
        return
    (d,) = diags
    assert (d.code, d.severity) == (code, severity) and words in d.message
    assert _validate(folder).exit_code == (1 if severity == "error" else 0)
    if severity == "error":
        assert history is None
        with pytest.raises(PolicyError):
            load_history(folder)


def _evaluate(*args):
    from click.testing import CliRunner

    from engine.cli import cli

    return CliRunner().invoke(cli, ["evaluate", *map(str, args)])


def test_policy_option_takes_files_or_a_folder(tmp_path):
    """`--policy` takes a folder or several files. A history of one version is that
    version: the same report as its file. Several versions are evaluated across (the
    version per finding: tests/test_history.py), the files given one by one as the
    folder."""
    events = tmp_path / "events.csv"
    events.write_text("person,date,items\nP,2024-03-01,B2\n", "utf-8")
    one = _city(tmp_path, drop=("city-2023.yaml",))
    text = one / "city-2024.yaml"
    text.write_text(
        text.read_text("utf-8").replace(
            'supersedes: {version: "2023", map: maps/2023-to-2024.yaml}\n', ""
        ),
        "utf-8",
    )
    base = ["--events", events, "--as-of", "2024-12-31"]
    by_file = _evaluate("--policy", text, *base)
    by_folder = _evaluate("--policy", one, *base)
    assert by_file.exit_code == 0 and by_file.output == by_folder.output
    assert '"start": "2024-03-01"' in by_file.output  # B2, 6 points: 2 months' suspension
    both = _evaluate(
        "--policy", CITY / "city-2023.yaml", "--policy", CITY / "city-2024.yaml", *base
    )
    assert both.exit_code == 0, both.output
    assert both.output == _evaluate("--policy", CITY, *base).output
    assert '"versions": ["2024"]' in both.output


def test_diff_of_two_histories(tmp_path):
    """Versions pair by `version`: 2024 is diffed with 2024 (B1 2 -> 3 points), 2023 is
    only in the old history (removed). Exit 1: changes."""
    import json

    from click.testing import CliRunner

    from engine.cli import cli

    new = _city(
        tmp_path,
        ("city-2024.yaml", "{code: B1, points: 2,", "{code: B1, points: 3,"),
        drop=("city-2023.yaml",),
    )
    (new / "city-2024.yaml").write_text(
        (new / "city-2024.yaml")
        .read_text("utf-8")
        .replace('supersedes: {version: "2023", map: maps/2023-to-2024.yaml}\n', ""),
        "utf-8",
    )
    r = CliRunner().invoke(cli, ["diff", str(CITY), str(new), "--format", "json"])
    assert r.exit_code == 1, r.output
    out = json.loads(r.output)
    (v,) = out["versions"]
    assert v["version"] == "2024"
    assert [(c["section"], c["element"], c["field"], c["old"], c["new"]) for c in v["changes"]] == [
        ("metadata", "", "supersedes", "2023", None),
        ("items", "B1", "points", "2", "3"),
    ]
    assert [p["version"] for p in out["removed"]] == ["2023"] and out["added"] == []
    same = CliRunner().invoke(cli, ["diff", str(CITY), str(CITY)])
    assert same.exit_code == 0 and same.output.count("No changes.") == 2
    mixed = CliRunner().invoke(cli, ["diff", str(CITY), str(CITY / "city-2024.yaml")])
    assert mixed.exit_code == 2 and "two folders of versions" in mixed.output


# ---- §1 从旧兼从轻: which version scores a finding (engine/evaluation/lenity.py) -------------


def _finding(date: str, items: str, occurred: str | None = None, points=None):
    import datetime as dt

    from engine.ledger.rows import Event

    return Event(
        "e1",
        "P",
        dt.date.fromisoformat(date),
        "violation",
        tuple(items.split("|")),
        None,
        None,
        None,
        points,
        None,
        {},
        "events.csv",
        2,
        0,
        dt.date.fromisoformat(occurred) if occurred else None,
    )


def _lenity(folder=CITY):
    from engine.evaluation.lenity import Lenity
    from engine.policy.versions import load_history

    return Lenity(load_history(folder))


def test_occurred_changes_the_version_that_scores():
    """未核验参保人员身份 (A3): 2 points in the 2023 text, 4 in the 2024 text (第二条).
    Decided 2024-02-01 with no `occurred`: the act is of 2024, the 2024 rule applies, 4.
    The same finding with `occurred: 2023-11-01`: the 2023 rule applies (从旧), and the
    2024 rule is not lighter (4 against 2): 2 points, version 2023."""
    lenity = _lenity()
    now = lenity.score(_finding("2024-02-01", "A3"), None)
    assert (now.version, now.codes, now.points, now.basis) == (1, ("A3",), 4, "in_force")
    assert now.reason(lenity.h) == "under version 2024, in force on 2024-02-01"
    then = lenity.score(_finding("2024-02-01", "A3", occurred="2023-11-01"), None)
    assert (then.version, then.codes, then.points, then.basis) == (0, ("A3",), 2, "old_rule")
    assert then.compared == (0, 1, 2, 4)
    assert "从旧" in then.reason(lenity.h) and "(4 against 2 points)" in then.reason(lenity.h)


def test_the_lighter_new_version_applies():
    """挂床住院: A1, 3 points in 2023; B1, 2 points in 2024 (paired by its text). An act of
    2023-11-01 decided 2024-02-01: the decision's rule is lighter, so it applies
    (从轻): 2 points, code B1, version 2024."""
    lenity = _lenity()
    s = lenity.score(_finding("2024-02-01", "A1", occurred="2023-11-01"), None)
    assert (s.version, s.codes, s.points, s.counted) == (1, ("B1",), 2, True)
    assert s.basis == "lighter" and s.compared == (0, 1, 3, 2)
    assert "is lighter than version 2023" in s.reason(lenity.h)
    assert "2 against 3 points" in s.reason(lenity.h)


def test_equal_weight_keeps_the_old_rule_and_the_map_carries_codes():
    """伪造医疗文书: A4 (2023) -> C1 (2024) through supersedes.map, 12 points in both:
    not lighter, so the rule of the act's time (从旧)."""
    s = _lenity().score(_finding("2024-01-05", "A4", occurred="2023-12-20"), None)
    assert (s.version, s.codes, s.points) == (0, ("A4",), 12)


def test_an_act_the_new_rule_no_longer_counts(tmp_path):
    """With `A3: null` in the map the 2024 rule has no counterpart for 未核验身份: it no
    longer counts the act, so (从轻) the finding is not scored."""
    folder = _city(tmp_path, ("maps/2023-to-2024.yaml", "A4: C1", "A4: C1\nA3: null"))
    lenity = _lenity(folder)
    s = lenity.score(_finding("2024-02-01", "A3", occurred="2023-11-01"), None)
    assert (s.version, s.codes, s.points, s.counted) == (1, (), None, False)
    assert s.basis == "no_longer_counted"
    assert "no longer counts the act of 2023-11-01" in s.reason(lenity.h)


def test_act_dates_outside_the_history_and_after_the_decision():
    """An act before the first version (2022-06-01) decided under 2023: scored by the
    decision's version, marked outside. An act dated after its decision is bad input."""
    from engine.errors import BadValue

    lenity = _lenity()
    s = lenity.score(_finding("2023-03-01", "A1", occurred="2022-06-01"), None)
    assert (s.version, s.points, s.outside) == (0, 3, True)
    with pytest.raises(BadValue, match="after its decision"):
        lenity.score(_finding("2023-03-01", "A1", occurred="2023-04-01"), None)


# ---- §4 bugs from the differential test ----------------------------------------------------


def test_reapply_from_counts_a_queued_suspension(run):
    """Zhanjiang 第二十条 待暂停期满后可重新申请; 第十七条 bands on the score (100 a year).

    2023-11-01 B1 (20) and C1 (10): score 70, 60 < 70 <= 70, suspended 6 months,
    2023-11-01 .. 2024-04-30. 2024-01-10 B1: the 2024 score is 80, suspend 3 months;
    it ends before the running one, so it is queued after it: 2024-05-01 .. 2024-07-31.
    As of 2024-02-01 the first date a re-application can succeed is 2024-08-01, the
    date the engine itself then accepts: one on 2024-05-01 is rejected naming
    2024-08-01, one on 2024-08-01 accepted.
    """
    rows = [
        v("P", "2023-11-01", "B1"),
        v("P", "2023-11-01", "C1"),
        v("P", "2024-01-10", "B1"),
    ]
    r = run("zhanjiang", rows, as_of="2024-02-01")
    assert [(a["start"], a["end"]) for a in actions(r, "P", "suspend")] == [
        ("2023-11-01", "2024-04-30"),
        ("2024-05-01", "2024-07-31"),
    ]
    assert person(r, "P")["reapply_from"] == "2024-08-01"
    early = {"person": "P", "date": "2024-05-01", "type": "reapply"}
    on_time = {"person": "P", "date": "2024-08-01", "type": "reapply"}
    r = run("zhanjiang", [*rows, early, on_time], as_of="2024-08-15")
    first, second = person(r, "P")["reapplications"]
    assert first["result"] == "rejected" and "re-apply from 2024-08-01" in first["reason"]
    assert second["result"] == "accepted"
    assert person(r, "P")["status"] == "active"


@pytest.mark.parametrize("reinstated", ["2024-06-01", "2025-01-15"])
def test_three_years_rule_reads_the_person_across_registrations(run, reinstated):
    """Jining 五(一) 连续三年违规扣分９分以上, read per natural year of the person, whatever
    their registrations (the article speaks of the person; the policy's reading).

    2023-05-01 D1: 12 points, terminated (五(二): re-apply from 2024-05-01 at the
    earliest). 2024-03-01 C1 and B1: 9 points, found while terminated (recorded, fire
    nothing). Reinstated on 2024-06-01 or on 2025-01-15: a new registration, whose
    bands start from zero. 2025-04-01 C1 and B1: 9 points. The person's years read
    12, 9, 9: the three-years rule ends the agreement on 2025-04-01, whichever the
    reinstatement's date (before the fix, a 2024 reinstatement's 0-point record hid the
    9 of 2024 and the person got a 6-month suspension only).
    """
    rows = [
        v("P", "2023-05-01", "D1"),
        v("P", "2024-03-01", "C1"),
        v("P", "2024-03-01", "B1"),
        {"person": "P", "date": reinstated, "type": "reapply"},
        v("P", "2025-04-01", "C1"),
        v("P", "2025-04-01", "B1"),
    ]
    r = run("jining", rows, as_of="2025-12-31")
    assert person(r, "P")["reapplications"][0]["result"] == "accepted"
    (last,) = [a for a in actions(r, "P", "terminate") if a["start"] == "2025-04-01"]
    assert last["source"] == "rule:three-years-nine"
    assert person(r, "P")["status"] == "terminated"


def test_tier_is_the_band_whose_action_fired(run):
    """`tier` = the band whose action fired (docs/semantics.md), Zhanjiang 第十七条/第十八条.

    Q, 2022-03-01 one act listed as FRAUD|B1 (4,999 yuan): 20 points (the highest),
    score 80, but the item's own effect terminates first (第十八条): no band acted, so
    `tier` is null although 80 lies in the 3-month band.
    P, 2022-03-01 B1: score 80, the 3-month band fires (tier suspend-3m); 2022-05-01
    FRAUD (0 points): terminated by the item; 2022-06-01 B2 (20) while terminated: the
    score reaches 60, the cancellation band, but nothing acts: tier stays suspend-3m.
    """
    r = run(
        "zhanjiang",
        [
            v("Q", "2022-03-01", "FRAUD|B1", amount="4999"),
            v("P", "2022-03-01", "B1"),
            v("P", "2022-05-01", "FRAUD", amount="4999"),
            v("P", "2022-06-01", "B2"),
        ],
        as_of="2022-12-31",
    )
    (q,) = person(r, "Q")["cycles"]
    assert (q["score"], q["tier"]) == (80, None)
    (p,) = person(r, "P")["cycles"]
    assert (p["score"], p["tier"]) == (60, "suspend-3m")
    assert [a["action"] for a in actions(r, "P") if a["action"] != "ban"] == [
        "suspend",
        "terminate",
    ]


# ---- §3d-f over more than one cycle: conditional reset, caps in all, credits after a termination


def test_credit_cap_over_all_cycles(run):
    """credits-time 第三条 每年修复不超过3分，累计修复不超过4分.

    2024-02-01 A6: 6. 03-01 T2: 6 - 2 = 4 (2 credited). 04-01 T2: the year's cap
    leaves 1: 4 - 1 = 3 (3 credited). 2024 ends under 12: cleared (第一条).
    2025-02-01 A6: 6. 03-01 T2: the year allows 2 more, but only 4 - 3 = 1 is left in
    all: 6 - 1 = 5. 04-01 T1: nothing left in all: 5.
    """
    r = run(
        pol("credits-time"),
        [
            v("P", "2024-02-01", "A6"),
            credit("P", "2024-03-01", "T2"),
            credit("P", "2024-04-01", "T2"),
            v("P", "2025-02-01", "A6"),
            credit("P", "2025-03-01", "T2"),
            credit("P", "2025-04-01", "T1"),
        ],
    )
    c = {c["period"]: (c["deducted"], c["credited"]) for c in person(r, "P")["cycles"]}
    assert c == {"2024": (3, 3), "2025": (5, 1)}


def test_reset_that_depends_on_the_cycle_end(run):
    """第一条 年度内累计扣分未满12分的，年度结束时清零 (`reset_when: deducted < 12`).

    R: 2024-03-01 A6, 6 (interview); under 12, cleared: 2025-03-01 A6 is 6 again and
    the interview fires again (the bands cleared with the points).
    Q: 2024-05-01 and 06-01 A6: 12, terminated; not under 12, so the total is kept:
    2025-01-10 A3 (found while terminated) makes 2025's 12 + 3, capped at 12. With an
    unconditional reset it would be 3.
    """
    r = run(
        pol("credits-time"),
        [
            v("R", "2024-03-01", "A6"),
            v("R", "2025-03-01", "A6"),
            v("Q", "2024-05-01", "A6"),
            v("Q", "2024-06-01", "A6"),
            v("Q", "2025-01-10", "A3"),
        ],
    )
    assert [a["start"] for a in actions(r, "R", "interview")] == ["2024-03-01", "2025-03-01"]
    c = {c["period"]: c["deducted"] for c in person(r, "Q")["cycles"]}
    assert c == {"2024": 12, "2025": 12}


def test_a_credit_does_not_undo_a_terminating_total(run, tmp_path):
    """S: 2024-05-01 and 06-01 A6: 12, terminated (第四条). 07-01 T1: a credit after the
    termination does not lower the total that terminated S: 12, nothing credited. With
    `credits_after_termination: true` the policy says otherwise: 11, 1 credited."""
    rows = [v("S", "2024-05-01", "A6"), v("S", "2024-06-01", "A6"), credit("S", "2024-07-01", "T1")]
    (c,) = person(run(pol("credits-time"), rows), "S")["cycles"]
    assert (c["deducted"], c["credited"]) == (12, 0)
    text = (FMT / "credits-time.yaml").read_text("utf-8")
    assert "  credit_total_cap: 4" in text
    (tmp_path / "credits-time.txt").write_bytes((FMT / "credits-time.txt").read_bytes())
    variant = tmp_path / "credits-time.yaml"
    variant.write_text(
        text.replace(
            "  credit_total_cap: 4", "  credit_total_cap: 4\n  credits_after_termination: true"
        ),
        "utf-8",
    )
    (c,) = person(run(load_policy(variant), rows), "S")["cycles"]
    assert (c["deducted"], c["credited"]) == (11, 1)


# ---- §3a a band passed over keeps its lasting state; §3b one sanction for "A or B" ---------


def test_a_passed_band_keeps_its_lasting_state(run):
    """tiers-lasting 第三条: 达到6分 -> 约谈并纳入重点监管名单; 达到9分 -> 暂停3个月.

    P, 2024-03-01 M9: 9 points in one finding pass over the 6-point band. The
    suspension fires (harshest), 03-01 .. 05-31; the listing, a state, still follows;
    the interview, a one-off act, is absorbed. Q reaches 6 first (M3 twice), so both
    the interview and the listing fire there, then 9 with M3: the suspension.
    """
    r = run(
        pol("tiers-lasting"),
        [
            v("P", "2024-03-01", "M9"),
            v("Q", "2024-03-01", "M3"),
            v("Q", "2024-04-01", "M3"),
            v("Q", "2024-05-01", "M3"),
        ],
        as_of="2024-12-31",
    )
    got = [
        (a["action"], a["start"], a["source"]) for a in actions(r, "P") if a["action"] != "restore"
    ]
    assert got == [
        ("key-supervision", "2024-03-01", "tier:listed"),
        ("suspend", "2024-03-01", "tier:suspend"),
    ]
    assert person(r, "P")["cycles"][0]["tier"] == "suspend"
    assert [a["action"] for a in actions(r, "Q") if a["action"] != "restore"] == [
        "interview",
        "key-supervision",
        "suspend",
    ]


def test_lasting_names_an_action_of_its_tier(tmp_path):
    (e,) = _variant(tmp_path, "tiers-lasting", ("lasting: [key-supervision]", "lasting: [refer]"))
    assert e.code == "action" and "`refer` is not an action of tier `listed`" in e.message


def test_one_sanction_for_a_or_b(run, tmp_path):
    """clause 第三条: 一个自然年度内累计扣分超过9分的，或者连续两个自然年度内每年均超过6分的，
    暂停1个月 — one sentence, one sanction.

    2023-05-01 M10: 10 > 9, the band: suspended 2023-05-01 .. 05-31. 2024-05-01 M10:
    10 > 9 (the band) and 2023 and 2024 both > 6 (the rule) on the same finding: one
    suspension, 2024-05-01 .. 05-31, not a second one queued to 06-30. Without the
    shared `clause`, validate warns and the person gets both.
    """
    rows = [v("P", "2023-05-01", "M10"), v("P", "2024-05-01", "M10")]
    r = run(pol("clause"), rows)
    assert [(a["start"], a["end"], a["source"]) for a in actions(r, "P", "suspend")] == [
        ("2023-05-01", "2023-05-31", "tier:over-nine"),
        ("2024-05-01", "2024-05-31", "tier:over-nine"),
    ]
    text = (FMT / "clause.yaml").read_text("utf-8")
    assert text.count("clause: suspend-1m") == 2
    (tmp_path / "clause.txt").write_bytes((FMT / "clause.txt").read_bytes())
    bare = tmp_path / "clause.yaml"
    bare.write_text(
        text.replace(" clause: suspend-1m,", "").replace("    clause: suspend-1m\n", ""), "utf-8"
    )
    assert "clause:" not in bare.read_text("utf-8")
    _, diags = check_policy(bare)
    assert [(d.code, d.severity) for d in diags] == [("clause", "warning")]
    assert "tier `over-nine` and rule `two-years-six` both cite 第三条" in diags[0].message
    two = run(load_policy(bare), rows)
    assert [a["end"] for a in actions(two, "P", "suspend")] == [
        "2023-05-31",
        "2024-05-31",
        "2024-06-30",
    ]


def test_a_superseded_suspension_stays_in_actions_but_never_takes_effect(run):
    """Jining 五(一): 9 points in each of 2024, 2025 and 2026 (C1 and B1 on one day each
    year). On 2026-04-01 the step's 6-month band fires and the three-years rule ends the
    agreement the same day: the suspension is superseded. It stays in the actions,
    `superseded_by: rule:three-years-nine` (no sanction vanishes), and the status
    intervals (what claims are screened against) hold the termination alone."""
    from engine.evaluation.intervals import person_intervals

    rows = [v("P", f"{y}-04-01", c) for y in (2024, 2025, 2026) for c in ("C1", "B1")]
    r = run("jining", rows, as_of="2026-12-31")
    last = [a for a in actions(r, "P", "suspend") if a["start"] == "2026-04-01"]
    assert [(a["source"], a["superseded_by"]) for a in last] == [
        ("tier:suspend-6m", "rule:three-years-nine")
    ]
    (p,) = [p for p in run.last.people if p.person == "P"]
    spans = [(i.status, str(i.start)) for i in person_intervals(p, "automatic", "五(二)")]
    assert ("suspended", "2026-04-01") not in spans and ("terminated", "2026-04-01") in spans


def test_same_day_findings_in_the_zhanjiang_example_are_one_step(run):
    """examples/zhanjiang ZJ0228: 2023-05-20 C1 and C3 (10 points each, 第十五条(三)),
    one inspection. As one step the score goes 100 -> 80: 70 < 80 <= 80, suspended 3
    months (第十七条), 2023-05-20 .. 08-19, the action naming both findings. Taken one
    by one in file order they gave an interview at 90 first: no longer (the report's
    interviews of 2023-05 are one fewer)."""
    rows = [
        {
            "id": "ZJ-E0220",
            "person": "ZJ0228",
            "date": "2023-05-20",
            "items": "C1",
            "inspection": "ZJ-INS-2023-01",
        },
        {
            "id": "ZJ-E0221",
            "person": "ZJ0228",
            "date": "2023-05-20",
            "items": "C3",
            "inspection": "ZJ-INS-2023-01",
        },
    ]
    r = run("zhanjiang", rows, as_of="2023-06-30")
    assert [(a["action"], a["start"], a["end"], a["events"]) for a in actions(r, "ZJ0228")] == [
        ("suspend", "2023-05-20", "2023-08-19", ["ZJ-E0220", "ZJ-E0221"])
    ]
