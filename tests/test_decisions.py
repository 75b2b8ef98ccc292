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
import shutil
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


def test_the_fixture_is_jining_as_shipped_with_decisions_alone():
    """jining-decided.yaml is a copy of policies/jining.yaml (a scenario file needs a
    policy on disk): it must stay the shipped text with `decisions` added, or its cases
    would test a Jining that no longer is (it had missed the `billing` block the
    service's may_bill reads)."""
    import yaml

    shipped = yaml.safe_load(Path(JINING).read_text("utf-8"))
    fixture = yaml.safe_load(Path(DECIDED).read_text("utf-8"))
    assert fixture.pop("decisions") == {"take_effect": "on-decision", "cite": "六(一)"}
    assert (fixture.pop("id"), shipped.pop("id")) == ("jining-decided", "jining")
    assert fixture.pop("source")["sha256"] == shipped.pop("source")["sha256"]
    assert fixture == shipped


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


def _intervals(tmp_path, policy, as_of, rows=ROWS):
    ev = write_csv(tmp_path / "e.csv", rows, COLUMNS)
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


# ---- Zhanjiang opting into decided sanctions ----------------------------------------------

# Zhanjiang 2021, 第二十二条: "湛江市医疗保障局应在处理决定作出后 3 个工作日内 ... 告知":
# the bureau decides. The shipped policy keeps sanctions in force as computed; this is
# its text with `decisions: {take_effect: on-decision}` added (made from the shipped
# file when the test runs, so that it cannot drift from it). Each case is worked from
# the articles: B3 (第十五条(二)3) deducts 20 points, 100 - 20 = 80, "70 < 分值 <= 80
# ... 暂停医保医师医保服务 3 个月" (第十七条): 2022-02-07 to 2022-05-06; 第二十条: back
# only on a re-application after that.
ZHANJIANG_DECIDED_CASES = """\
policy: ../zhanjiang.yaml
as_of: 2022-03-01
cases:
  - name: a computed suspension with no decision is proposed, and P may still bill
    cite: 第二十二条
    as_of: 2022-02-14
    events:
      - {id: E1, person: P, date: 2022-02-07, items: B3}
    expect:
      people:
        P:
          status: active
          proposed_status: suspended
          actions:
            - {action: suspend, start: 2022-02-07, end: 2022-05-06, proposed: true}

  - name: decided on 2022-02-21, the suspension is in force from that day to its computed end
    cite: 第二十二条
    events:
      - {id: E1, person: P, date: 2022-02-07, items: B3}
      - {id: D1, date: 2022-02-21, type: decision, target: E1, document: 湛医保〔2022〕5号}
    expect:
      people:
        P:
          status: suspended
          proposed_status: null
          actions:
            - action: suspend
              start: 2022-02-07
              end: 2022-05-06
              in_force_from: 2022-02-21
              decision: {event: D1, document: 湛医保〔2022〕5号, date: 2022-02-21}
              proposed: null

  - name: a decided suspension over, P awaits the re-application the text asks for
    cite: 第二十条
    as_of: 2022-06-01
    events:
      - {id: E1, person: P, date: 2022-02-07, items: B3}
      - {id: D1, date: 2022-02-21, type: decision, target: E1, document: 湛医保〔2022〕5号}
    expect:
      people:
        P: {status: awaiting_reapplication, reapply_from: 2022-05-07, proposed_status: null}

  - name: never decided, the suspension never binds, though its computed end has passed
    cite: 第二十二条
    as_of: 2022-06-01
    events:
      - {id: E1, person: P, date: 2022-02-07, items: B3}
    expect:
      people:
        P: {status: active, proposed_status: awaiting_reapplication}

  - name: a decided suspension whose finding is overturned was served in error from the decision
    cite: 第二十三条
    note: served_in_error is the engine's (issue 22); 第二十二条 decides when the suspension bound
    # As corrected P has no finding (and so no record: active, the trail's new status).
    # In force 2022-02-21 (the decision) to the review's day, 2022-04-01, excluded:
    # 8 days in February (21-28), 31 in March: 39.
    as_of: 2022-06-30
    events:
      - {id: E1, person: P, date: 2022-02-07, items: B3}
      - {id: D1, date: 2022-02-21, type: decision, target: E1, document: 湛医保〔2022〕5号}
      - {id: R1, date: 2022-04-01, type: revoke, target: E1, document: 湛医保复〔2022〕3号}
    expect:
      corrections:
        - correction: R1
          changes:
            - action: suspend
              change: removed
              old: {start: 2022-02-07, end: 2022-05-06}
              new: null
          status: {old: awaiting_reapplication, new: active}
          served_in_error:
            - {from: 2022-02-21, to: 2022-03-31, days: 39, status: suspended, cite: 第十七条}
"""


def test_zhanjiang_opting_into_decided_sanctions(tmp_path):
    """Issue 22 §2 for the second city: Zhanjiang's text with sanctions that bind once
    decided, its scenario cases (above) run by `policyctl test`; and the status
    intervals (what `screen` and the service's `may_bill` read) hold the decided
    suspension from its decision and the re-application wait after it, nothing for an
    undecided one."""
    root = ROOT / "policies"
    folder = tmp_path / "zhanjiang-decided"
    (folder / "tests").mkdir(parents=True)
    shutil.copytree(root / "sources", folder / "sources")
    text = (root / "zhanjiang.yaml").read_text("utf-8")
    marker = "\nscale:"
    assert text.count(marker) == 1 and "\ndecisions:" not in text
    decided = "\ndecisions: {take_effect: on-decision, cite: 第二十二条}" + marker
    policy = folder / "zhanjiang.yaml"
    policy.write_text(text.replace(marker, decided), "utf-8")
    (folder / "tests" / "decided.yaml").write_text(ZHANJIANG_DECIDED_CASES, "utf-8")
    res = CliRunner().invoke(cli, ["test", str(folder / "tests")])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[-1] == "5 passed, 0 failed"

    rows = [
        {"id": "E1", "person": "P", "date": "2022-02-07", "items": "B3"},
        {"id": "D1", "date": "2022-02-21", "type": "decision", "target": "E1"},
        {"id": "E2", "person": "Q", "date": "2022-03-07", "items": "B3"},
    ]
    assert _intervals(tmp_path, str(policy), "2022-12-31", rows) == [
        ("P", "suspended", "2022-02-21", "2022-05-06"),
        ("P", "awaiting_reapplication", "2022-05-07", ""),
    ]
