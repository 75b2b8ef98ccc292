"""`policyctl diff`: semantic changes between two policies, and whom they affect.

The fixtures in tests/fixtures/diff are base.yaml and, per kind of change, a copy
that changes one thing (its first comment says what). reformatted.yaml and
reordered.yaml mean the same as base.yaml written differently. cross.yaml is a
renumbered catalogue paired with base.yaml by cross-map.yaml. The expected
changes and movers below were worked out by hand from the fixtures.

Golden files (tests/golden/diff-*.txt, .md) are regenerated with UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import edited, golden, policy
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.cli import cli
from engine.compare.diff import diff_files, diff_policies
from engine.compare.impact import impact
from engine.errors import PolicyError
from engine.policy.codemap import load_map
from engine.policy.loader import load_policy

ROOT = Path(__file__).resolve().parent.parent
FIX = "tests/fixtures/diff"
GOLDEN = ROOT / "tests" / "golden"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    """Paths in reports are as given on the command line: run from the repository root."""
    monkeypatch.chdir(ROOT)


def changes(name: str, map_name: str | None = None) -> list[tuple]:
    d = diff_files(
        f"{FIX}/base.yaml", f"{FIX}/{name}.yaml", f"{FIX}/{map_name}.yaml" if map_name else None
    )
    return [(c.section, c.kind, c.element, c.field, c.old, c.new) for c in d.changes]


def run(*args: str):
    return CliRunner().invoke(cli, ["diff", *args])


# ---- every kind of change -------------------------------------------------------------------

CHANGES = {
    "points": [("items", "changed", "A2", "points", "3", "4")],
    "range": [("items", "changed", "A3", "points", "2 to 4", "2 to 3")],
    "computed": [
        (
            "items",
            "changed",
            "A4",
            "points",
            "if amount >= 10000 then 3 else 1",
            "if amount >= 20000 then 3 else 1",
        )
    ],
    "text": [("items", "changed", "A1", "text", "迟到的", "迟到")],
    "effects": [
        (
            "items",
            "changed",
            "A5",
            "effects",
            "terminate (第三条)",
            "terminate (第三条); when amount >= 5000: refer (第三条)",
        )
    ],
    "cite": [("items", "changed", "A1", "cite", "第二条", "第三条")],
    "tier-bounds": [
        ("tiers", "changed", "suspend-3m", "bounds", "6 <= deducted <= 8", "6 <= deducted <= 9"),
        ("tiers", "changed", "suspend-6m", "bounds", "9 <= deducted <= 11", "10 <= deducted <= 11"),
    ],
    "tier-action": [("tiers", "changed", "interview", "action", "interview", "suspend 1 month")],
    "duration": [
        ("tiers", "changed", "suspend-3m", "duration", "suspend 3 months", "suspend 4 months")
    ],
    "rules": [
        (
            "rules",
            "changed",
            "two-years-nine",
            "when",
            "consecutive(cycles, c -> c.deducted >= 9) >= 2",
            "consecutive(cycles, c -> c.deducted >= 9) >= 3",
        )
    ],
    "restoration": [("restoration", "changed", "", "by", "automatic", "reapplication")],
    "bans": [("bans", "changed", '#2 cause != "fraud"', "then", "ban 1 year", "ban 2 years")],
    "bans-order": [
        (
            "bans",
            "changed",
            "",
            "order",
            'cause == "fraud": ban never; cause != "fraud": ban 1 year',
            'cause != "fraud": ban 1 year; cause == "fraud": ban never',
        )
    ],
    "institutions": [
        (
            "institutions",
            "changed",
            "rule thirty-percent",
            "when",
            "staff > 0 and sanctioned >= 30% * staff",
            "staff > 0 and sanctioned >= 20% * staff",
        )
    ],
    "deadlines": [
        ("deadlines", "changed", "objection", "within", "10 working days", "15 working days")
    ],
    "metadata": [
        ("metadata", "changed", "", "version", "1", "2"),
        ("metadata", "changed", "", "effective.to", None, "2026-12-31"),
    ],
    "combine": [("combine", "changed", "", "same_act", "highest", "sum")],
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_each_kind_of_change(name):
    assert changes(name) == CHANGES[name]


@pytest.mark.parametrize("name", ["points", "tier-bounds", "restoration"])
def test_changes_exit_1(name):
    r = run(f"{FIX}/base.yaml", f"{FIX}/{name}.yaml")
    assert r.exit_code == 1, r.output
    assert "\x1b[" not in r.output  # no colour when not on a terminal


def test_change_carries_both_citations():
    d = diff_files(f"{FIX}/base.yaml", f"{FIX}/cite.yaml")
    (c,) = d.changes
    assert (c.old_cite, c.new_cite) == ("第二条", "第三条")


# ---- every kind of non-change ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["base", "reformatted", "reordered"])
def test_no_changes(name):
    """Block vs flow style, key order, quoting, spacing, comments, `1.0` for 1, `30%` for
    `0.3`, a renamed lambda parameter, `12 <= deducted` for `deducted >= 12`, items and
    list entries in another order: none of it is a change."""
    assert changes(name) == []
    r = run(f"{FIX}/base.yaml", f"{FIX}/{name}.yaml")
    assert r.exit_code == 0, r.output
    assert "No changes." in r.output


def test_same_tier_text_other_band_is_a_change(tmp_path):
    """A `score` tier's text stays but its band of `deducted` moves with scale.initial."""
    shutil.copytree(ROOT / "policies" / "sources", tmp_path / "sources")
    text = (ROOT / "policies" / "zhanjiang.yaml").read_text("utf-8")
    (tmp_path / "z.yaml").write_text(edited(text, "initial: 100 ", "initial: 120 "), "utf-8")
    d = diff_policies(
        load_policy(ROOT / "policies" / "zhanjiang.yaml"), load_policy(tmp_path / "z.yaml")
    )
    got = {(c.section, c.element, c.field): (c.old, c.new) for c in d.changes}
    assert got[("scale", "", "initial")] == ("100", "120")
    assert got[("tiers", "terminate", "bounds")] == (
        "score <= 60 (40 <= deducted)",
        "score <= 60 (60 <= deducted)",
    )
    assert len(d.changes) == 5


# keys a diff once passed over: each changes an outcome (the cycle's keys) or what the
# service answers (billing) or which ledgers are accepted (ledger), and `diff` said
# "No changes", exit 0, for each
UNNOTICED = [
    (
        "  cap: 12\n",
        "  cap: 12\n  credit_total_cap: 4\n",
        ("cycle", "credit_total_cap"),
        (None, "4"),
    ),
    (
        "  cap: 12\n",
        "  cap: 12\n  credits_after_termination: true\n",
        ("cycle", "credits_after_termination"),
        ("false", "true"),
    ),
    (
        "  resets: [points, tiers]\n",
        "  resets: [points, tiers]\n  reset_when: deducted < 12\n",
        ("cycle", "reset_when"),
        ("always", "deducted < 12"),
    ),
    (
        "  refused_while: [suspended, terminated, awaiting_reapplication]",
        "  refused_while: [suspended, terminated]",
        ("billing", "refused_while"),
        ("awaiting_reapplication, suspended, terminated", "suspended, terminated"),
    ),
    (
        "    covers: [emergency, rescue]",
        "    covers: [emergency]",
        ("billing", "exception.covers"),
        ("emergency, rescue", "emergency"),
    ),
    (
        "ledger: {optional: [birth_date]}",
        "ledger: {optional: [birth_date], required: [amount]}",
        ("ledger", "required"),
        (None, "amount"),
    ),
]


@pytest.mark.parametrize("old,new,where,values", UNNOTICED, ids=[u[2][1] for u in UNNOTICED])
def test_every_key_that_acts_is_compared(tmp_path, old, new, where, values):
    shutil.copytree(ROOT / "policies" / "sources", tmp_path / "sources")
    text = (ROOT / "policies" / "jining.yaml").read_text("utf-8")
    (tmp_path / "j.yaml").write_text(edited(text, old, new), "utf-8")
    d = diff_policies(policy("jining"), load_policy(tmp_path / "j.yaml"))
    got = {(c.section, c.field): (c.old, c.new) for c in d.changes}
    assert got == {where: values}
    res = run("policies/jining.yaml", str(tmp_path / "j.yaml"))
    assert res.exit_code == 1, res.output


def test_billing_left_out_is_every_field_gone(tmp_path):
    # without `billing` the service pays only active people and quotes nothing
    shutil.copytree(ROOT / "policies" / "sources", tmp_path / "sources")
    text = (ROOT / "policies" / "jining.yaml").read_text("utf-8")
    start = text.index("billing:\n")
    end = text.index("\n\n", start) + 2
    (tmp_path / "j.yaml").write_text(text[:start] + text[end:], "utf-8")
    d = diff_policies(policy("jining"), load_policy(tmp_path / "j.yaml"))
    assert {c.section for c in d.changes} == {"billing"}
    got = {c.field: (c.old, c.new) for c in d.changes}
    assert got["refused_while"] == ("awaiting_reapplication, suspended, terminated", None)
    assert got["exception.covers"] == ("emergency, rescue", None)


# ---- renumbering ----------------------------------------------------------------------------


def test_recoded_without_map():
    assert changes("recoded") == [("items", "recoded", "A2 -> B2", "code", "A2", "B2")]
    d = diff_files(f"{FIX}/base.yaml", f"{FIX}/recoded.yaml")
    assert d.changes[0].note == "same text"


def test_recoded_with_map():
    d = diff_files(f"{FIX}/base.yaml", f"{FIX}/recoded.yaml", f"{FIX}/recoded-map.yaml")
    assert [(c.kind, c.element, c.note) for c in d.changes] == [
        ("recoded", "A2 -> B2", "paired by the map")
    ]


def test_swapped_codes_pair_by_text():
    assert changes("swapped") == [
        ("items", "recoded", "A1 -> A2", "code", "A1", "A2"),
        ("items", "recoded", "A2 -> A1", "code", "A2", "A1"),
    ]


def test_map_null_means_no_counterpart():
    got = changes("cross", "cross-map")
    assert ("items", "removed", "A3", "", "2 to 4 points: 旷工的", None) in got
    assert ("items", "changed", "A1 -> E1", "points", "1", "2") in got
    d = diff_files(f"{FIX}/base.yaml", f"{FIX}/cross.yaml", f"{FIX}/cross-map.yaml")
    assert next(c for c in d.changes if c.element == "A3").note == "mapped to no counterpart"
    assert d.items.code_map == {"A1": "E1", "A2": "E2", "A3": None, "A4": "E4", "A5": "FRAUD"}


def test_bad_map_is_trouble():
    r = run(f"{FIX}/base.yaml", f"{FIX}/cross.yaml", "--map", f"{FIX}/bad-map.yaml")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        f"{FIX}/bad-map.yaml:4:5: error[map]: `E5` is not an item of `tiny` "
        f"({FIX}/cross.yaml) (hint: codes are E1, E2, E4, FRAUD)"
    ]


def test_bad_policy_is_trouble():
    r = run(f"{FIX}/base.yaml", "tests/fixtures/policies/overlap.yaml")
    assert r.exit_code == 2
    assert r.stderr.startswith("tests/fixtures/policies/overlap.yaml:")
    assert "Traceback" not in r.output


def test_roster_needs_events():
    r = run(f"{FIX}/base.yaml", f"{FIX}/points.yaml", "--roster", "x.csv")
    assert r.exit_code == 2


def test_bad_ledger_is_trouble():
    r = run(
        f"{FIX}/base.yaml",
        f"{FIX}/points.yaml",
        "--events",
        "tests/fixtures/ledger/bad_date.csv",
        "--as-of",
        "2024-12-31",
    )
    assert r.exit_code == 2
    assert r.stderr.startswith("tests/fixtures/ledger/bad_date.csv:")


# ---- the shipped map ------------------------------------------------------------------------


def test_shipped_map_is_valid_and_complete():
    jining = load_policy(ROOT / "policies" / "jining.yaml")
    zhanjiang = load_policy(ROOT / "policies" / "zhanjiang.yaml")
    m = load_map(ROOT / "policies" / "maps" / "jining-to-zhanjiang.yaml", jining, zhanjiang)
    assert set(m) == set(jining.items)  # every Jining item is placed, or said to have none
    assert all(v is None or v in zhanjiang.items for v in m.values())
    assert m["A1"] == "B1" and m["D5"] == "FRAUD" and m["TEST-FAIL"] is None


def test_map_checked_against_the_policies(tmp_path):
    jining = load_policy(ROOT / "policies" / "jining.yaml")
    zhanjiang = load_policy(ROOT / "policies" / "zhanjiang.yaml")
    bad = tmp_path / "m.yaml"
    bad.write_text("A1: Q1\nZ9: B2\nA2: [B3, C2]\n", "utf-8")
    with pytest.raises(PolicyError) as e:
        load_map(bad, zhanjiang, jining)  # Zhanjiang -> Jining: Q1 and Z9 exist in neither
    got = [(d.span.line, d.message) for d in e.value.diagnostics]
    assert got == [
        (1, f"`Q1` is not an item of `jining` ({ROOT / 'policies' / 'jining.yaml'})"),
        (2, f"`Z9` is not an item of `zhanjiang` ({ROOT / 'policies' / 'zhanjiang.yaml'})"),
        (3, "`A2` maps to list, not one item code"),
    ]


# ---- impact ---------------------------------------------------------------------------------


def test_impact_revised():
    """revised.yaml: A1 is worth 2 (was 1); suspend-3m lasts 4 months (was 3). As of
    2024-06-30, worked by hand from revised-events.csv:

    - P1, A1 on 03-01, 04-01, 05-01: old 1+1+1 = 3, no tier. New 2+2+2 = 6 enters
      suspend-3m on 05-01 (6-8), 4 months: 2024-05-01..2024-08-31, still suspended
      on 06-30. Moves active -> suspended; causes: A1's points, suspend-3m's duration.
    - P2, A2 on 02-01 and 02-15: 3+3 = 6 under both, suspend-3m from 02-15; old ends
      05-14, new 06-14. Active on 06-30 under both, but the action's end moves;
      cause: suspend-3m's duration only (A2 did not change).
    - P3 (A2 once, 3 points), P4 (A5 fraud: terminated under both, ban never),
      P5 (A4 with 12000 yuan: 3 points): nothing changes.
    """
    d = diff_files(f"{FIX}/base.yaml", f"{FIX}/revised.yaml")
    imp = impact(d, f"{FIX}/revised-events.csv", None, dt.date(2024, 6, 30))
    assert (imp.people, len(imp.movers), imp.unaffected) == (5, 2, 3)
    p1, p2 = imp.movers
    assert p1.person == "P1"
    assert (p1.before.status, p1.after.status) == ("active", "suspended")
    assert p1.before.tiers == () and p1.after.tiers == (("2024", "suspend-3m"),)
    assert p1.after.actions == (("suspend", "2024-05-01", "2024-08-31", None),)
    assert [c.label for c in p1.causes] == [
        "items: A1 points 1 -> 2",
        "tier suspend-3m: duration suspend 3 months -> suspend 4 months",
    ]
    assert p2.person == "P2"
    assert p2.before.actions == (("suspend", "2024-02-15", "2024-05-14", None),)
    assert p2.after.actions == (("suspend", "2024-02-15", "2024-06-14", None),)
    assert [c.label for c in p2.causes] == [
        "tier suspend-3m: duration suspend 3 months -> suspend 4 months"
    ]
    assert imp.status_moves == {
        ("active", "active"): 3,
        ("active", "suspended"): 1,
        ("terminated", "terminated"): 1,
    }
    assert imp.notes == []


def test_impact_cross_with_map():
    """base.yaml -> cross.yaml through cross-map.yaml, as of 2024-12-31, by hand:

    - P1, A1 (-> E1, 2 points) on 03-01, 04-01, 05-01: old 3, no tier; new 6,
      suspend-3m 2024-05-01..2024-07-31 (automatic restoration: active on 12-31).
    - P2, A3 (4 points) on 02-01 then A2 (3) on 03-01: old 4 then 7 enters
      suspend-3m on 03-01. A3 maps to null: the 02-01 finding is left out; new 3,
      no tier.
    - P3, A5 with no amount: old terminated, ban never. FRAUD refers from 5000
      yuan, so it needs the amount: the finding cannot be evaluated under NEW and
      is left out; P3 is active. Noted "item FRAUD needs amount".
    - P4, A5 with 6000 yuan: terminated under both; NEW also refers (effects).
    - P5 (A2 -> E2, 3 points) and P6 (A4 -> E4 with 20000 yuan, 3 points): unchanged.
    """
    d = diff_files(f"{FIX}/base.yaml", f"{FIX}/cross.yaml", f"{FIX}/cross-map.yaml")
    imp = impact(d, f"{FIX}/cross-events.csv", None, dt.date(2024, 12, 31))
    assert (imp.people, imp.unaffected) == (6, 2)
    movers = {m.person: m for m in imp.movers}
    assert sorted(movers) == ["P1", "P2", "P3", "P4"]
    assert movers["P1"].after.actions == (("suspend", "2024-05-01", "2024-07-31", None),)
    assert movers["P2"].before.tiers == (("2024", "suspend-3m"),)
    assert movers["P2"].after.tiers == ()
    assert [c.label for c in movers["P2"].causes] == ["items: A3 no counterpart (X4 left out)"]
    assert (movers["P3"].before.status, movers["P3"].before.reapply_from) == ("terminated", "never")
    assert (movers["P3"].after.status, movers["P3"].after.reapply_from) == ("active", None)
    assert [c.label for c in movers["P3"].causes] == [
        "items: A5 as FRAUD needs amount (X6 left out)"
    ]
    assert movers["P4"].after.actions == (
        ("terminate", "2024-06-01", None, None),
        ("refer", "2024-06-01", None, None),
    )
    assert movers["P4"].causes[0].label.startswith("item A5 as FRAUD: effects ")
    assert [(n.person, n.event, n.where, n.text, n.dropped) for n in imp.notes] == [
        ("P2", "X4", f"{FIX}/cross-events.csv:5", "A3 has no counterpart under NEW", True),
        (
            "P3",
            "X6",
            f"{FIX}/cross-events.csv:7",
            "cannot be evaluated under NEW: item FRAUD needs amount",
            True,
        ),
    ]
    assert imp.status_moves == {
        ("active", "active"): 4,
        ("terminated", "active"): 1,
        ("terminated", "terminated"): 1,
    }
    assert imp.sanction_moves == {
        ("none", "none"): 2,
        ("none", "suspend"): 1,
        ("suspend", "none"): 1,
        ("terminate", "none"): 1,
        ("terminate", "terminate"): 1,
    }


def test_impact_points_outside_new_range():
    """range.yaml narrows A3 to 2-3: P2's decided 4 points no longer fit; noted, left out."""
    d = diff_files(f"{FIX}/base.yaml", f"{FIX}/range.yaml")
    imp = impact(d, f"{FIX}/cross-events.csv", None, dt.date(2024, 12, 31))
    assert [(n.person, n.reason) for n in imp.notes] == [("P2", "points outside range")]
    assert [m.person for m in imp.movers] == ["P2"]


def test_problem_under_new_points_at_the_original_line(tmp_path):
    """Under a new policy counting in steps of 2, a decided 3 points is refused: the
    message names the events file and line the analyst wrote, not a temporary file."""
    shutil.copy(ROOT / FIX / "source.txt", tmp_path / "source.txt")
    text = (ROOT / FIX / "base.yaml").read_text("utf-8")
    for a, b in [
        ("initial: 12, cite", "initial: 12, unit: 2, cite"),
        ("{code: A1, points: 1,", "{code: A1, points: 2,"),
        ("{code: A2, points: 3,", "{code: A2, points: 4,"),
        ("5 <= deducted < 6", "4 <= deducted < 6"),
    ]:
        text = edited(text, a, b)
    (tmp_path / "unit.yaml").write_text(text, "utf-8")
    events = tmp_path / "events.csv"
    events.write_text(
        "id,person,date,items,points\nQ1,P1,2024-02-01,A1,\nQ2,P2,2024-02-01,A3,3\n", "utf-8"
    )
    r = run(
        f"{FIX}/base.yaml",
        str(tmp_path / "unit.yaml"),
        "--events",
        str(events),
        "--as-of",
        "2024-12-31",
    )
    assert r.exit_code == 2
    assert r.stderr == (
        f"{events}:3: error[points]: points `3` is not a whole multiple of "
        "the policy's unit 2 (under NEW)\n"
    )


# the renumbered catalogue with its ledger (test_impact_cross_with_map works it by hand)
CROSS = [
    f"{FIX}/base.yaml",
    f"{FIX}/cross.yaml",
    "--map",
    f"{FIX}/cross-map.yaml",
    "--events",
    f"{FIX}/cross-events.csv",
    "--as-of",
    "2024-12-31",
]


def test_json_format_is_deterministic():
    args = [*CROSS, "--format", "json"]
    a, b = run(*args), run(*args)
    assert a.exit_code == 1 and a.stdout == b.stdout
    out = json.loads(a.stdout)
    assert out["counts"] == {"metadata": 1, "items": 7}
    assert out["impact"]["movers"] == 4 and out["impact"]["unaffected"] == 2
    assert {n["event"] for n in out["impact"]["not_carried_over"]} == {"X4", "X6"}


def test_findings_not_carried_over_are_told_in_the_reader_s_language():
    """The notes on findings not carried over were English in a Chinese memo; the
    JSON, which programs read, stays the same in both languages."""
    args = CROSS
    zh = CliRunner().invoke(cli, ["--lang", "zh", "diff", *args])
    assert zh.exit_code == 1, zh.output
    assert (
        f"P2 X4 ({FIX}/cross-events.csv:5): A3 在 NEW 中没有对应项目；该违规记录未计入" in zh.stdout
    )
    assert "在 NEW 下无法评估：项目 FRAUD 需要金额；该违规记录未计入" in zh.stdout
    assert "under NEW" not in zh.stdout
    md = CliRunner().invoke(cli, ["--lang", "zh", "diff", *args, "--format", "markdown"])
    assert "| 在 NEW 下无法评估：项目 FRAUD 需要金额；该违规记录未计入 |" in md.stdout
    as_json = [
        json.loads(
            CliRunner().invoke(cli, ["--lang", lang, "diff", *args, "--format", "json"]).stdout
        )
        for lang in ("en", "zh")
    ]
    for out in as_json:  # (the warnings are messages, said in the reader's language)
        del out["impact"]["warnings"]
    assert as_json[0] == as_json[1]
    notes = as_json[0]["impact"]["not_carried_over"]
    assert [n["text"] for n in notes] == [
        "A3 has no counterpart under NEW",
        "cannot be evaluated under NEW: item FRAUD needs amount",
    ]
    assert set(notes[0]) == {
        "person",
        "event",
        "where",
        "code",
        "target",
        "reason",
        "text",
        "dropped",
    }


# ---- golden files ---------------------------------------------------------------------------

GOLDEN_CASES = {
    "revised": [
        f"{FIX}/base.yaml",
        f"{FIX}/revised.yaml",
        "--events",
        f"{FIX}/revised-events.csv",
        "--as-of",
        "2024-06-30",
    ],
    "cross": CROSS,
    "many": [f"{FIX}/base.yaml", f"{FIX}/many.yaml"],
}


@pytest.mark.parametrize("fmt,ext", [("text", "txt"), ("markdown", "md")])
@pytest.mark.parametrize("case", sorted(GOLDEN_CASES))
def test_golden(case, fmt, ext):
    """The golden files fix the wording; what they say is held by the hand-worked
    tests below (test_golden_CASE_by_hand), which do not read them."""
    r = run(*GOLDEN_CASES[case], "--format", fmt)
    assert r.exit_code == 1, r.output
    golden(GOLDEN / f"diff-{case}.{ext}", r.stdout)


def _json(case: str) -> dict:
    r = run(*GOLDEN_CASES[case], "--format", "json")
    assert r.exit_code == 1, r.output
    return json.loads(r.stdout)


def _changes(out: dict) -> dict[tuple, tuple]:
    """(section, kind, element, field) -> (old, new) of each change."""
    return {
        (c["section"], c["kind"], c["element"], c["field"]): (c["old"], c["new"])
        for c in out["changes"]
    }


def _moved(out: dict) -> dict[str, tuple]:
    """person -> (status before, after, actions before, after), as (action, start, end)."""

    def acts(side: dict) -> list[tuple]:
        return [(a["action"], a["start"], a["end"]) for a in side["actions"]]

    return {
        m["person"]: (
            m["before"]["status"],
            m["after"]["status"],
            acts(m["before"]),
            acts(m["after"]),
        )
        for m in out["impact"]["people_moved"]
    }


def test_golden_revised_by_hand():
    """revised.yaml: A1 worth 2 (was 1), suspend-3m lasts 4 months (was 3). The
    ledger, as of 2024-06-30 (第四条: 6-8 points suspend):
    P1 A1 x3 (03-01, 04-01, 05-01): 3 -> 6 on 05-01, 4 months to 08-31, suspended
    on 06-30. P2 A2 3 + 3 on 02-15: 6 under both, 02-15 + 3 months - 1 day = 05-14
    -> 02-15 + 4 months - 1 day = 06-14; active on 06-30 either way. P3 (A2: 3), P4
    (A5, fraud: terminated under both) and P5 (A4 on 12000: 3) are unaffected."""
    out = _json("revised")
    assert _changes(out) == {
        ("items", "changed", "A1", "points"): ("1", "2"),
        ("tiers", "changed", "suspend-3m", "duration"): ("suspend 3 months", "suspend 4 months"),
    }
    imp = out["impact"]
    assert (imp["people"], imp["movers"], imp["unaffected"]) == (5, 2, 3)
    assert _moved(out) == {
        "P1": ("active", "suspended", [], [("suspend", "2024-05-01", "2024-08-31")]),
        "P2": (
            "active",
            "active",
            [("suspend", "2024-02-15", "2024-05-14")],
            [("suspend", "2024-02-15", "2024-06-14")],
        ),
    }
    assert {(m["from"], m["to"], m["people"]) for m in imp["status_moves"]} == {
        ("active", "active", 3),
        ("active", "suspended", 1),
        ("terminated", "terminated", 1),
    }


def test_golden_cross_by_hand():
    """cross.yaml through cross-map.yaml: A1 -> E1 worth 2, A2 -> E2, A3 -> nothing,
    A4 -> E4, A5 -> FRAUD, which also refers from 5000 yuan and so needs `amount`.
    As of 2024-12-31: P1 A1 x3 = 3 -> E1 x3 = 6 on 05-01: 3 months to 07-31. P2 A3
    (decided 4) + A2 3 = 7 on 03-01, 3 months to 05-31 -> A3 is left out: 3, none.
    P3 A5 with no amount: terminated -> left out under NEW (FRAUD needs amount):
    active. P4 A5 on 6000: terminate -> terminate and refer. P5 (A2) and P6 (A4 on
    20000: 3) are unaffected."""
    out = _json("cross")
    assert _changes(out) == {
        ("metadata", "changed", "", "version"): ("1", "2"),
        ("items", "recoded", "A1 -> E1", "code"): ("A1", "E1"),
        ("items", "changed", "A1 -> E1", "points"): ("1", "2"),
        ("items", "recoded", "A2 -> E2", "code"): ("A2", "E2"),
        ("items", "removed", "A3", ""): ("2 to 4 points: 旷工的", None),
        ("items", "recoded", "A4 -> E4", "code"): ("A4", "E4"),
        ("items", "recoded", "A5 -> FRAUD", "code"): ("A5", "FRAUD"),
        ("items", "changed", "A5 -> FRAUD", "effects"): (
            "terminate (第三条)",
            "terminate (第三条); when amount >= 5000: refer (第三条)",
        ),
    }
    imp = out["impact"]
    assert (imp["people"], imp["movers"], imp["unaffected"]) == (6, 4, 2)
    moved = _moved(out)
    assert moved["P1"] == ("active", "active", [], [("suspend", "2024-05-01", "2024-07-31")])
    assert moved["P2"] == ("active", "active", [("suspend", "2024-03-01", "2024-05-31")], [])
    assert moved["P3"] == ("terminated", "active", [("terminate", "2024-06-01", None)], [])
    assert moved["P4"][2:] == (
        [("terminate", "2024-06-01", None)],
        [("terminate", "2024-06-01", None), ("refer", "2024-06-01", None)],
    )
    assert sorted(n["event"] for n in imp["not_carried_over"]) == ["X4", "X6"]


def test_golden_many_by_hand():
    """many.yaml changes ten things at once, each read off the two files: the
    version, A2 3 -> 4 points, A3 gone, A6 new, suspend-6m's length now a range,
    the two-years rule gone, restoration by re-application, the second ban 1 -> 2
    years, the objection deadline 10 -> 15 working days, a provision's note."""
    out = _json("many")
    assert out["counts"] == {
        "metadata": 1,
        "items": 3,
        "tiers": 1,
        "rules": 1,
        "restoration": 1,
        "bans": 1,
        "deadlines": 1,
        "provisions": 1,
    }
    changes = _changes(out)
    assert len(changes) == 10
    assert changes[("items", "changed", "A2", "points")] == ("3", "4")
    assert changes[("items", "removed", "A3", "")][1] is None
    assert changes[("items", "added", "A6", "")][0] is None
    assert changes[("tiers", "changed", "suspend-6m", "duration")] == (
        "suspend 6 months",
        "suspend 1 to 6 months",
    )
    assert ("rules", "removed", "two-years-nine", "") in changes
    assert changes[("restoration", "changed", "", "by")] == ("automatic", "reapplication")
    assert changes[("deadlines", "changed", "objection", "within")] == (
        "10 working days",
        "15 working days",
    )


# ---- the shipped cross-city case ------------------------------------------------------------


def test_jining_findings_under_zhanjiang():
    """Smoke test of the case the map ships for: it runs, and the report says what it must."""
    r = run(
        "policies/jining.yaml",
        "policies/zhanjiang.yaml",
        "--map",
        "policies/maps/jining-to-zhanjiang.yaml",
        "--events",
        "examples/jining/events.csv",
        "--roster",
        "examples/jining/roster.csv",
        "--as-of",
        "2025-12-31",
        "--format",
        "json",
    )
    assert r.exit_code == 1, r.stderr
    out = json.loads(r.stdout)["impact"]
    assert out["people"] == 300 and out["movers"] + out["unaffected"] == 300
    assert out["movers"] > 0
    assert all(n["reason"] == "no counterpart" for n in out["not_carried_over"])
    assert sum(m["people"] for m in out["status_moves"]) == 300


def test_changes_name_the_ids_they_are_about():
    # Change.old_id / new_id / entity: what impact.py looks changes up by, the element's
    # id on each side and what it is; `element` is display text, never parsed
    d = diff_files(
        "policies/jining.yaml", "policies/zhanjiang.yaml", "policies/maps/jining-to-zhanjiang.yaml"
    )
    seen = set()
    entity = {"items": "item", "credits": "credit", "tiers": "tier", "rules": "rule"}
    for c in d.changes:
        if c.section not in entity:
            continue
        old, new = c.old_id, c.new_id
        seen.add(c.kind)
        assert c.entity == entity[c.section]
        if c.kind == "removed":
            assert (old, new) == (c.element, None)
        elif c.kind == "added":
            assert (old, new) == (None, c.element)
        else:
            assert c.element == (old if old == new else f"{old} -> {new}")
    assert {"removed", "added", "recoded", "changed"} <= seen
    shape = d.changes[0].as_dict()  # the ids are not part of the report's shape
    assert not {"ids", "old_id", "new_id", "entity"} & set(shape)


def test_a_cascade_change_is_found_by_what_it_is_not_by_its_text(tmp_path):
    # the base's cascade 三(四): an institution's suspension suspends its staff; NEW
    # terminates them instead. P1 at H1 moves from suspended to terminated, and the cause
    # is the cascade (Change.entity == "cascade"), whatever its display text says
    text = (ROOT / FIX / "base.yaml").read_text("utf-8")
    cascade = '{"on": institution_suspended, then: suspend, cite: 第八条}'
    assert cascade in text
    new = tmp_path / "new.yaml"
    new.write_text(text.replace(cascade, cascade.replace("suspend,", "terminate,")), "utf-8")
    shutil.copy(ROOT / FIX / "source.txt", tmp_path / "source.txt")
    d = diff_policies(load_policy(f"{FIX}/base.yaml"), load_policy(str(new)))
    (c,) = d.changes
    assert (c.entity, c.old_id, c.new_id) == (
        "cascade",
        "institution_suspended",
        "institution_suspended",
    )
    events = tmp_path / "events.csv"
    events.write_text(
        "id,person,date,type,items,institution,end\n"
        "s1,,2024-03-01,institution_suspended,,H1,2024-06-30\n",
        "utf-8",
    )
    roster = tmp_path / "roster.csv"
    roster.write_text("person,institution\nP1,H1\n", "utf-8")
    imp = impact(d, str(events), str(roster), dt.date(2024, 4, 1))
    (mover,) = imp.movers
    assert (mover.before.status, mover.after.status) == ("suspended", "terminated")
    assert [cause.label for cause in mover.causes] == ["institution cascades changed"]
    assert mover.causes[0].changes == (c,)


# ---- the JSON's snapshots, each distinct element encoded once ------------------------------

_texts = st.text(min_size=0, max_size=6)  # (quotes, backslashes, controls, CJK, surrogates)
_numbers = st.one_of(
    st.sampled_from([3, 3.0, Fraction(3), Fraction(7, 2), 3.5, 0]),  # equal, printed apart
    st.integers(0, 40),
    st.fractions(min_value=0, max_value=40, max_denominator=8),
)


@st.composite
def _snapshots(draw):
    from engine.compare.impact import Snapshot

    labels = st.sampled_from(["2023", "2025#2", "年度"])
    dates = st.sampled_from(["2024-01-31", "2024-04-29", "2025-12-31"])
    return Snapshot(
        draw(st.sampled_from(["active", "suspended", "awaiting_reapplication", "terminated"])),
        draw(st.one_of(st.none(), dates, st.just("never"))),
        tuple(draw(st.lists(st.tuples(labels, st.one_of(st.none(), _texts)), max_size=3))),
        tuple(
            draw(
                st.lists(
                    st.tuples(
                        st.sampled_from(["interview", "suspend", "terminate", "培训"]),
                        dates,
                        st.one_of(st.none(), dates),
                        st.one_of(st.none(), _texts),
                    ),
                    max_size=3,
                )
            )
        ),
        tuple(draw(st.lists(st.tuples(labels, _numbers), max_size=3))),
    )


@settings(max_examples=200, deadline=None)
@given(many=st.lists(_snapshots(), min_size=1, max_size=6), level=st.integers(0, 5))
def test_a_snapshot_is_written_as_json_dumps_writes_it(many, level):
    """compare/render.py writes each mover's snapshots from encoded elements it keeps
    (the same cycle or action for thousands of people); the text is json.dumps's at
    that depth, byte for byte, whatever the strings hold and whichever numbers (3, 3.0
    and Fraction(3) are equal keys that print apart), however often an element
    recurs across snapshots written by one writer."""
    from engine.compare.render import _dumps, _SnapshotJson

    write = _SnapshotJson(level)
    for s in many + many[::-1]:
        assert write(s) == _dumps(s.as_dict(), level)
