"""Computed sanctions and the decisions that bind them (issue 22 §2).

The fixture policy tests/fixtures/decisions/jining-decided.yaml is Jining 2024 with
`decisions: {take_effect: on-decision}`; its scenario cases (tests/fixtures/decisions/
tests/decided.yaml) run with the suite. Here: the shipped policies keep sanctions in
force as computed, a decision only recording itself; under on-decision the status
intervals (what `screen` and the service's `may_bill` read) follow the sanctions in
force; `diff` sees the key; the story says computed against decided.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Runner, actions, person, write_csv

from engine.cli import cli
from engine.errors import LedgerError
from engine.ledger.read import read_ledger
from engine.policy.loader import load_policy

ROOT = Path(__file__).resolve().parent.parent
JINING = str(ROOT / "policies" / "jining.yaml")
DECIDED = str(ROOT / "tests" / "fixtures" / "decisions" / "jining-decided.yaml")
COLUMNS = ["id", "person", "date", "type", "items", "target", "document", "action", "ban"]

ROWS = [
    # C1 (6 points): 五(一) computes 3 months, 2024-05-06 to 2024-08-05
    {"id": "E1", "person": "P", "date": "2024-05-06", "items": "C1"},
    {
        "id": "D1",
        "date": "2024-05-20",
        "type": "decision",
        "target": "E1",
        "document": "济医保〔2024〕9号",
    },
    # Q's D1 (12 points) on 2024-09-02: terminated, banned; no decision
    {"id": "E2", "person": "Q", "date": "2024-09-02", "items": "D1"},
]


@pytest.fixture
def run(tmp_path):
    return Runner(tmp_path)


def test_the_shipped_policies_keep_sanctions_in_force_as_computed(run):
    """Jining as shipped has no `decisions` key: on computation. A decision row records
    its 文号 on the sanction and changes nothing else; an undecided one is not proposed."""
    assert load_policy(JINING).take_effect == "on-computation"
    r = run("jining", ROWS, as_of="2024-06-01")
    p = person(r, "P")
    assert p["status"] == "suspended" and "proposed_status" not in p
    (s,) = actions(r, "P", "suspend")
    assert s["decision"] == {"event": "D1", "document": "济医保〔2024〕9号", "date": "2024-05-20"}
    assert (s["start"], "in_force_from" in s, "proposed" in s) == ("2024-05-06", False, False)
    r = run("jining", ROWS, as_of="2024-12-31")
    assert person(r, "Q")["status"] == "terminated"
    assert all("proposed" not in a for a in actions(r, "Q"))


def test_without_decisions_the_output_is_what_it_was(run):
    """A ledger with no decision row under a shipped policy: no new key anywhere."""
    r = run("jining", [ROWS[0], ROWS[2]], as_of="2024-12-31")
    text = repr(r)
    for key in ("decision", "proposed", "in_force_from", "corrections"):
        assert key not in text


def _intervals(tmp_path, policy, as_of):
    ev = write_csv(tmp_path / "e.csv", ROWS, COLUMNS)
    res = CliRunner().invoke(
        cli,
        [
            "evaluate",
            "--policy",
            policy,
            "--events",
            str(ev),
            "--as-of",
            as_of,
            "--format",
            "intervals",
        ],
    )
    assert res.exit_code == 0, res.output
    return [
        (r["person"], r["status"], r["start"], r["end"])
        for r in csv.DictReader(io.StringIO(res.stdout))
    ]


def test_the_status_intervals_follow_the_sanctions_in_force(tmp_path):
    """What `screen` joins claims against, and the service answers `may_bill` from: under
    on-decision, P's suspension holds from its decision (2024-05-20) to its computed end
    (2024-08-05); Q's undecided termination holds no day at all."""
    assert _intervals(tmp_path, DECIDED, "2024-12-31") == [
        ("P", "suspended", "2024-05-20", "2024-08-05")
    ]
    # as computed (the shipped policy): from the finding's day, and Q terminated
    assert _intervals(tmp_path, JINING, "2024-12-31") == [
        ("P", "suspended", "2024-05-06", "2024-08-05"),
        ("Q", "terminated", "2024-09-02", ""),
    ]


def test_the_story_says_computed_against_decided(tmp_path):
    ev = write_csv(tmp_path / "e.csv", ROWS, COLUMNS)
    res = CliRunner().invoke(
        cli,
        [
            "evaluate",
            "--policy",
            DECIDED,
            "--events",
            str(ev),
            "--as-of",
            "2024-12-31",
            "--explain",
            "Q",
            "--explain",
            "P",
        ],
    )
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "terminate 2024-09-02 (tier:terminate): proposed, no decision yet" in out
    assert "computed: terminated, not in force until decided" in out
    assert (
        "suspend 2024-05-06..2024-08-05 (tier:suspend-3m): decided by D1 on 2024-05-20 "
        "(济医保〔2024〕9号), in force from 2024-05-20"
    ) in out


def test_diff_sees_when_sanctions_bind(tmp_path):
    res = CliRunner().invoke(cli, ["diff", JINING, DECIDED, "--format", "json"])
    assert res.exit_code == 1, res.output
    import json

    changes = json.loads(res.stdout)["changes"]
    (c,) = [c for c in changes if c.get("field") == "take_effect" or "take_effect" in repr(c)]
    assert "on-computation" in repr(c) and "on-decision" in repr(c)


def test_a_decision_on_a_revoked_finding_is_an_error(tmp_path):
    rows = [
        {"id": "E1", "person": "P", "date": "2024-05-06", "items": "C1"},
        {"id": "R1", "date": "2024-05-10", "type": "revoke", "target": "E1"},
        {"id": "D1", "date": "2024-05-20", "type": "decision", "target": "E1"},
        {"id": "D2", "date": "2024-05-21", "type": "decision", "target": "R1"},
    ]
    path = write_csv(tmp_path / "e.csv", rows, COLUMNS)
    with pytest.raises(LedgerError) as e:
        read_ledger(str(path), load_policy(DECIDED))
    got = [(d.span.line, d.code) for d in e.value.diagnostics]
    assert got == [(4, "correction"), (5, "correction")]
    assert "revoked at line 3" in e.value.diagnostics[0].message
    assert "not a finding" in e.value.diagnostics[1].message


def _cli(*args: str):
    res = CliRunner().invoke(cli, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res


@pytest.mark.parametrize(
    "lang, decided, proposed, computed",
    [
        (
            "en",
            "suspend 2024-05-06..2024-08-05 (tier:suspend-3m): decided by D1 on 2024-05-20 "
            "(济医保〔2024〕9号), in force from 2024-05-20",
            "terminate 2024-09-02 (tier:terminate): proposed, no decision yet",
            "computed: terminated, not in force until decided",
        ),
        (
            "zh",
            "suspend 2024-05-06..2024-08-05 (tier:suspend-3m)：由 D1 于 2024-05-20 决定 "
            "(济医保〔2024〕9号)，自 2024-05-20 起生效",
            "terminate 2024-09-02 (tier:terminate)：拟处理，尚未作出决定",
            "计算结果：已解除，作出决定前不生效",
        ),
    ],
)
def test_story_table_and_report_say_computed_or_decided_in_both_languages(
    tmp_path, lang, decided, proposed, computed
):
    """Each sanction, in the explain story, the table and the HTML report, as computed
    (proposed: no decision yet) or decided, naming the decision (its id and 文号)."""
    ev = write_csv(tmp_path / "e.csv", ROWS, COLUMNS)
    base = ["--lang", lang, "evaluate", "--policy", DECIDED, "--events", ev]
    base += ["--as-of", "2024-12-31"]
    story = _cli(*base, "--explain", "P", "--explain", "Q").stdout
    for line in (decided, proposed, computed):
        assert line in story
    table = _cli(*base, "--format", "table", "--all").stdout
    row = {ln.split()[0]: ln for ln in table.splitlines() if ln[:2] in ("P ", "Q ")}
    if lang == "en":
        assert "(decided D1)" in row["P"] and "(proposed)" in row["Q"]
    else:
        assert "（已由 D1 决定）" in row["P"] and "（拟处理，尚未决定）" in row["Q"]
    out = tmp_path / f"r-{lang}.html"
    _cli(
        "--lang",
        lang,
        "report",
        "--policy",
        DECIDED,
        "--events",
        ev,
        "--as-of",
        "2024-12-31",
        "-o",
        out,
    )
    import re

    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", out.read_text("utf-8")))
    word = {
        "en": ("decided by", "proposed, not yet decided"),
        "zh": ("决定文书", "拟处理，尚未决定"),
    }
    assert f"{word[lang][0]} D1 济医保〔2024〕9号" in page
    assert word[lang][1] in page  # Q's termination and ban, computed only
