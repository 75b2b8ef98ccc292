"""A ledger evaluated across a regulation's history (issue 14 §1): 从旧兼从轻 per finding,
cycle-level consequences under the version in force on the day they are decided.

The fixture `tests/fixtures/history/county` is a test regulation revised in the middle
of 2023, so that cycles straddle the change (its two texts are beside it):

| | 2023 (2023-01-01 .. 2023-06-30) | 2023-07 (from 2023-07-01) |
| --- | --- | --- |
| 第二条 挂床住院 K1 | 3 | 1 |
| 第二条 串换药品 K2 | 6 | 6 |
| 第二条 未核验身份 K3 | 2 | 4 |
| 第二条 虚记、多记 K4 | (none) | 1 |
| 第三条 约谈 | 3 to under 6 | 3 to under 5 |
| 第三条 暂停 | 6 to under 12: 3 months | 5 to under 12: 1 month |
| 第三条 解除 | 12 | 12 |
| 第四条 恢复 | automatic | on application |

Every expected value below is worked from those articles and 《行政处罚法》第三十七条
(the rule in force when the act occurred, unless the one in force at the decision is
lighter or no longer counts the act), not read off the program.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_csv

from engine.cli import cli
from engine.errors import LedgerError, PolicyError

FIXTURES = Path(__file__).parent / "fixtures" / "history"
COUNTY = FIXTURES / "county"
CITY = FIXTURES / "city"
AS_OF = "2023-12-31"


def _ledger(path: Path, rows: list[dict]) -> Path:
    return write_csv(path, rows, ["id", "person", "date", "type", "items", "points", "occurred"])


def _run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _people(tmp_path: Path, rows: list[dict], policy: Path = COUNTY, as_of: str = AS_OF):
    """`policyctl evaluate --format jsonl` on the rows: each person's record by code."""
    events = _ledger(tmp_path / "events.csv", rows)
    r = _run(
        "evaluate", "--policy", policy, "--events", events, "--as-of", as_of, "--format", "jsonl"
    )
    assert r.exit_code == 0, r.output
    return {d["person"]: d for d in map(json.loads, r.output.splitlines()) if "person" in d}


# 未核验身份 (K3) decided on 2023-07-15, under the 2023-07 text: NOW's act of that day,
# THEN's done on 2023-06-01 under the 2023 text (test_occurred_changes_a_findings_outcome
# works out both)
NOW_AND_THEN = [
    {"id": "n1", "person": "NOW", "date": "2023-07-15", "items": "K3"},
    {"id": "t1", "person": "THEN", "date": "2023-07-15", "items": "K3", "occurred": "2023-06-01"},
]


# 挂床住院 (K1) found on 2023-03-01, and again decided on 2023-07-10 for an act of
# 2023-06-20 (test_the_lighter_new_version_scores_and_spares_a_suspension works it out)
LIGHTER_LATER = [
    {"id": "a", "person": "P", "date": "2023-03-01", "items": "K1"},
    {"id": "b", "person": "P", "date": "2023-07-10", "items": "K1", "occurred": "2023-06-20"},
]


@pytest.fixture
def now_and_then(tmp_path: Path) -> Path:
    """NOW_AND_THEN as a ledger file."""
    return _ledger(tmp_path / "e.csv", NOW_AND_THEN)


def _acts(person: dict) -> list[tuple]:
    return [(a["action"], a["start"], a["end"]) for a in person["actions"]]


def _basis(person: dict) -> list[tuple]:
    return [
        (f["event"], f["version"], f["items"], f["points"], f["basis"], f.get("compared"))
        for f in person["findings"]
    ]


def test_occurred_changes_a_findings_outcome(tmp_path):
    """未核验身份 (K3) decided on 2023-07-15, under the 2023-07 text.

    Without `occurred` the act is of the decision's date: the 2023-07 text applies, 4
    points, in its interview band (3 to under 5, 第三条): an interview on 2023-07-15.
    With `occurred: 2023-06-01` the act broke the 2023 text (2 points); the 2023-07
    text is not lighter (4 against 2), so the old rule applies (从旧): 2 points, under
    every band, no sanction."""
    people = _people(tmp_path, NOW_AND_THEN)
    now, then = people["NOW"], people["THEN"]
    assert _acts(now) == [("interview", "2023-07-15", None)]
    assert [(c["deducted"], c["tier"]) for c in now["cycles"]] == [(4, "interview")]
    assert _basis(now) == [("n1", "2023-07", ["K3"], 4, "in_force", None)]
    assert now["versions"] == ["2023-07"]
    assert _acts(then) == []
    assert [(c["deducted"], c["tier"]) for c in then["cycles"]] == [(2, None)]
    assert _basis(then) == [
        ("t1", "2023", ["K3"], 2, "old_rule", {"2023": 2, "2023-07": 4}),
    ]
    assert then["findings"][0]["occurred"] == "2023-06-01"
    assert then["findings"][0]["cite"] == "《行政处罚法》第三十七条"
    assert then["versions"] == ["2023", "2023-07"]


def test_the_lighter_new_version_scores_and_spares_a_suspension(tmp_path):
    """挂床住院 (K1) found on 2023-03-01 (2023 text: 3 points, the interview band 3 to
    under 6: an interview). A second 挂床住院, done on 2023-06-20 and decided on
    2023-07-10: 3 points under the 2023 text, 1 under the 2023-07 text, which is
    lighter and applies (从轻): the total is 3 + 1 = 4, inside the 2023-07 interview
    band (3 to under 5), whose interview the person had (the same band, `interview`):
    nothing more. Under the old rule it would have been 3 + 3 = 6, in the 2023-07
    suspension band (5 and more)."""
    people = _people(tmp_path, LIGHTER_LATER)
    p = people["P"]
    assert _acts(p) == [("interview", "2023-03-01", None)]
    assert [(c["deducted"], c["tier"]) for c in p["cycles"]] == [(4, "interview")]
    assert p["status"] == "active"
    assert _basis(p) == [
        ("a", "2023", ["K1"], 3, "in_force", None),
        ("b", "2023-07", ["K1"], 1, "lighter", {"2023": 3, "2023-07": 1}),
    ]
    assert p["versions"] == ["2023", "2023-07"]


def test_a_cycle_that_straddles_the_change(tmp_path):
    """The 2023 cycle runs across the change on 2023-07-01 and keeps its total.

    2023-03-01 K1: 3 points (2023 text), interview band: interview. 2023-08-01 K1 under
    the 2023-07 text: 1 point, total 4, still the interview band, already fired: no
    second interview. 2023-09-01 K4 (a conduct the 2023-07 text adds): 1 point, total
    5, the 2023-07 suspension band (5 to under 12): suspended 1 month, 2023-09-01 to
    2023-09-30. The 2023-07 text restores only on application (第四条): from 2023-10-01
    the person awaits a re-application, which can succeed from that day."""
    people = _people(
        tmp_path,
        [
            {"id": "a", "person": "P", "date": "2023-03-01", "items": "K1"},
            {"id": "b", "person": "P", "date": "2023-08-01", "items": "K1"},
            {"id": "c", "person": "P", "date": "2023-09-01", "items": "K4"},
        ],
    )
    p = people["P"]
    assert _acts(p) == [
        ("interview", "2023-03-01", None),
        ("suspend", "2023-09-01", "2023-09-30"),
    ]
    assert [(c["period"], c["deducted"], c["tier"]) for c in p["cycles"]] == [
        ("2023", 5, "suspend")
    ]
    assert (p["status"], p["reapply_from"]) == ("awaiting_reapplication", "2023-10-01")
    assert [f["points"] for f in p["findings"]] == [3, 1, 1]


def test_a_band_the_total_reached_before_the_change_does_not_fire_again(tmp_path):
    """2023-05-02 K2: 6 points under the 2023 text, its suspension band (6 to under 12):
    3 months, 2023-05-02 to 2023-08-01, restored on 2023-08-02. The 2023-07 text then
    has 5 to under 12 as its suspension band; 2023-08-10 K1 (1 point) takes the total
    to 7: inside that band, which the total had reached before the change, so no new
    suspension. The restoration falls under the 2023-07 text (on application)."""
    people = _people(
        tmp_path,
        [
            {"id": "a", "person": "P", "date": "2023-05-02", "items": "K2"},
            {"id": "b", "person": "P", "date": "2023-08-10", "items": "K1"},
        ],
    )
    p = people["P"]
    assert _acts(p) == [("suspend", "2023-05-02", "2023-08-01")]
    assert [(c["deducted"], c["tier"]) for c in p["cycles"]] == [(7, "suspend")]
    assert (p["status"], p["reapply_from"]) == ("awaiting_reapplication", "2023-08-02")


def test_restoration_follows_the_version_in_force_when_the_suspension_is_over(tmp_path):
    """Restoration is procedure (程序从新): the text in force on the day a suspension is
    over says how the person comes back.

    A: 2023-02-01 K2, 6 points: suspended 3 months to 2023-04-30, over on 2023-05-01
    under the 2023 text: restored automatically (第四条 自动恢复).
    B: 2023-05-15 K2: suspended to 2023-08-14, over on 2023-08-15 under the 2023-07
    text (第四条 经本人申请恢复): awaiting a re-application from 2023-08-15; the
    re-application on 2023-09-01 restores the person."""
    people = _people(
        tmp_path,
        [
            {"id": "a", "person": "A", "date": "2023-02-01", "items": "K2"},
            {"id": "b", "person": "B", "date": "2023-05-15", "items": "K2"},
            {"id": "c", "person": "C", "date": "2023-05-15", "items": "K2"},
            {"id": "d", "person": "C", "date": "2023-09-01", "type": "reapply"},
        ],
    )
    assert _acts(people["A"]) == [
        ("suspend", "2023-02-01", "2023-04-30"),
        ("restore", "2023-05-01", None),
    ]
    assert people["A"]["status"] == "active" and people["A"]["versions"] == ["2023"]
    b = people["B"]
    assert _acts(b) == [("suspend", "2023-05-15", "2023-08-14")]
    assert (b["status"], b["reapply_from"]) == ("awaiting_reapplication", "2023-08-15")
    assert b["versions"] == ["2023", "2023-07"]  # the 2023-07 text's restoration
    c = people["C"]
    assert _acts(c)[-1] == ("restore", "2023-09-01", None)
    assert c["status"] == "active"


def test_a_conduct_the_old_text_did_not_count_is_not_scored(tmp_path):
    """虚记、多记 (K4) is a violation from the 2023-07 text on. An act of 2023-06-01
    decided on 2023-08-01 was no violation when it was done, and the later text does
    not reach back to it: not scored, no total, no violation counted."""
    people = _people(
        tmp_path,
        [{"id": "a", "person": "P", "date": "2023-08-01", "items": "K4", "occurred": "2023-06-01"}],
    )
    p = people["P"]
    assert p["cycles"] == [] and p["actions"] == []
    (f,) = p["findings"]
    assert (f["version"], f["items"], f["points"], f["basis"]) == (
        "2023",
        [],
        None,
        "not_counted_then",
    )
    assert f["compared"] == {"2023": None, "2023-07": 1}


def test_an_act_the_new_text_no_longer_counts(tmp_path):
    """With the 2023-07 text's map saying 未核验身份 (K3) has no counterpart, an act of
    2023-06-01 decided on 2023-07-15 is no longer a violation at the decision: not
    scored (从轻)."""
    folder = tmp_path / "county"
    shutil.copytree(COUNTY, folder)
    (folder / "maps").mkdir()
    (folder / "maps" / "k.yaml").write_text("K3: null\n", "utf-8")
    text = folder / "county-2023-07.yaml"
    text.write_text(
        text.read_text("utf-8").replace(
            'supersedes: {version: "2023"}', 'supersedes: {version: "2023", map: maps/k.yaml}'
        ),
        "utf-8",
    )
    people = _people(
        tmp_path,
        [{"id": "a", "person": "P", "date": "2023-07-15", "items": "K3", "occurred": "2023-06-01"}],
        policy=folder,
    )
    (f,) = people["P"]["findings"]
    assert (f["version"], f["points"], f["basis"]) == ("2023-07", None, "no_longer_counted")
    assert f["compared"] == {"2023": 2, "2023-07": None}
    assert people["P"]["cycles"] == []


def test_codes_are_carried_through_the_map_across_a_cycle_boundary(tmp_path):
    """test-city renumbers its catalogue on 2024-01-01 (A1 -> B1 by the text, A4 -> C1
    by its map). 挂床住院 done on 2023-11-01, decided on 2024-02-01: 3 points as A1 under
    the 2023 text, 2 as B1 under the 2024 text, which is lighter and applies. Then
    2024-03-01 串换药品 (B2, 6 points): total 8, the 2024 suspension band (6 to under
    12, 第三条): 2 months, to 2024-04-30, restored automatically."""
    people = _people(
        tmp_path,
        [
            {
                "id": "a",
                "person": "Q",
                "date": "2024-02-01",
                "items": "A1",
                "occurred": "2023-11-01",
            },
            {"id": "b", "person": "Q", "date": "2024-03-01", "items": "B2"},
        ],
        policy=CITY,
        as_of="2024-12-31",
    )
    q = people["Q"]
    assert _basis(q) == [
        ("a", "2024", ["B1"], 2, "lighter", {"2023": 3, "2024": 2}),
        ("b", "2024", ["B2"], 6, "in_force", None),
    ]
    assert _acts(q) == [("suspend", "2024-03-01", "2024-04-30"), ("restore", "2024-05-01", None)]
    assert q["versions"] == ["2024"]


def test_the_header_lists_the_versions_and_the_as_of_version(tmp_path):
    events = _ledger(tmp_path / "e.csv", [{"person": "P", "date": "2023-03-01", "items": "K1"}])
    r = _run("evaluate", "--policy", COUNTY, "--events", events, "--as-of", AS_OF)
    assert r.exit_code == 0, r.output
    head = json.loads(r.output)["policy"]
    assert head == {
        "id": "test-county",
        "version": "2023-07",
        "versions": [
            {"version": "2023", "from": "2023-01-01", "to": "2023-06-30"},
            {"version": "2023-07", "from": "2023-07-01", "to": None},
        ],
    }
    early = _run("evaluate", "--policy", COUNTY, "--events", events, "--as-of", "2023-05-01")
    assert json.loads(early.output)["policy"]["version"] == "2023"


def test_explain_tells_the_version_and_why(tmp_path):
    events = _ledger(tmp_path / "e.csv", LIGHTER_LATER)
    r = _run("evaluate", "--policy", COUNTY, "--events", events, "--as-of", AS_OF, "--explain", "P")
    assert r.exit_code == 0, r.output
    assert "P under test-county, versions 2023, 2023-07, as of 2023-12-31" in r.output
    assert (
        "version 2023-07, in force at the decision, is lighter than version 2023, in force "
        "when the act occurred (2023-06-20): 1 against 3 points: 从轻  [《行政处罚法》第三十七条]"
    ) in r.output
    assert "• K1 「将门诊病人挂床住院的」: 1 point  [第二条]" in r.output
    zh = CliRunner().invoke(
        cli,
        ["--lang", "zh", "evaluate", "--policy", str(COUNTY), "--events", str(events)]
        + ["--as-of", AS_OF, "--explain", "P"],
    )
    assert zh.exit_code == 0 and "从轻" in zh.output and "为轻" in zh.output


# ---- the ledger read against the versions that can apply to each row ----------------------


def _read(tmp_path: Path, rows: list[dict], policy: Path = COUNTY):
    from engine.ledger.read import read_ledger
    from engine.policy.versions import load_policies

    return read_ledger(str(_ledger(tmp_path / "events.csv", rows)), load_policies(policy))


def test_rows_are_checked_against_the_versions_that_can_apply(tmp_path):
    """K4 exists only from 2023-07: on a finding of 2023-05 it is unknown, naming the
    version; on a finding decided in 2023-08 for an act of 2023-06 it is read in the
    decision's catalogue (and then not scored, above). An act dated after its decision,
    `occurred` on a re-application, and a date that is none are each an error at
    their line."""
    with pytest.raises(LedgerError) as exc:
        _read(
            tmp_path,
            [
                {"person": "P", "date": "2023-05-01", "items": "K4"},
                {"person": "P", "date": "2023-08-01", "items": "K4", "occurred": "2023-06-01"},
                {"person": "P", "date": "2023-08-01", "items": "K1", "occurred": "2023-08-02"},
                {"person": "P", "date": "2023-08-01", "type": "reapply", "occurred": "2023-06-01"},
                {"person": "P", "date": "2023-08-01", "items": "K1", "occurred": "2023-02-30"},
            ],
        )
    lines = {d.span.line: (d.code, d.message) for d in exc.value.diagnostics}
    assert sorted(lines) == [2, 4, 5, 6]
    assert lines[2] == (
        "item",
        "unknown item code `K4` (version 2023 of `test-county`, in force 2023-01-01 to 2023-06-30)",
    )
    assert lines[4] == (
        "occurred",
        "the act `occurred` on 2023-08-02, after its decision `date` 2023-08-01",
    )
    assert lines[5][0] == "occurred" and "`reapply` event" in lines[5][1]
    assert lines[6] == ("occurred", "occurred `2023-02-30` is not a real date")


def test_a_merged_code_cannot_name_the_old_item(tmp_path):
    """If the 2024 text merged 挂床住院 and 串换药品 into B1 (map A1: B1, A2: B1), a
    finding of a 2023 act that lists B1 cannot say which 2023 item it was: an error
    asking for the act's own code; the act's own code (A2) reads."""
    folder = tmp_path / "city"
    shutil.copytree(CITY, folder)
    (folder / "maps" / "2023-to-2024.yaml").write_text("A1: B1\nA2: B1\nA4: C1\n", "utf-8")
    rows = [{"person": "P", "date": "2024-02-01", "items": "B1", "occurred": "2023-11-01"}]
    with pytest.raises(LedgerError) as exc:
        _read(tmp_path, rows, policy=folder)
    (d,) = exc.value.diagnostics
    assert "item `B1` of version 2024 stands for several items of version 2023" in d.message
    assert d.hint == "give the act's own code, from version 2023"
    rows[0]["items"] = "A2"
    assert [e.items for e in _read(tmp_path, rows, policy=folder).events] == [("A2",)]


def test_occurred_under_one_policy_is_read_and_changes_nothing(tmp_path):
    """Under one version the act's date chooses nothing: the output is the same with the
    column or without it (and has no `findings`)."""
    jining = Path(__file__).parent.parent / "policies" / "jining.yaml"
    rows = [{"id": "e1", "person": "P", "date": "2024-05-01", "items": "A1"}]
    plain = _run(
        "evaluate",
        "--policy",
        jining,
        "--events",
        _ledger(tmp_path / "a.csv", rows),
        "--as-of",
        "2024-12-31",
    )
    rows[0]["occurred"] = "2024-04-01"
    dated = _run(
        "evaluate",
        "--policy",
        jining,
        "--events",
        _ledger(tmp_path / "b.csv", rows),
        "--as-of",
        "2024-12-31",
    )
    assert plain.exit_code == dated.exit_code == 0
    assert plain.output == dated.output and '"findings"' not in plain.output


def test_versions_on_different_scales_are_refused(tmp_path):
    folder = tmp_path / "county"
    shutil.copytree(COUNTY, folder)
    text = folder / "county-2023-07.yaml"
    text.write_text(
        text.read_text("utf-8").replace('cycle: {start: "01-01",', 'cycle: {start: "07-01",'),
        "utf-8",
    )
    from engine.policy.versions import load_policies

    with pytest.raises(PolicyError, match="counts on another scale or cycle"):
        load_policies(folder)


def _zhanjiang_split(tmp_path: Path, edit=lambda text: text) -> Path:
    """Zhanjiang 2021 as two versions with the same text (the second `edit`ed), the
    second in force from 2022-07-01."""
    import re

    root = Path(__file__).parent.parent / "policies"
    folder = tmp_path / "zj"
    (folder / "sources").mkdir(parents=True)
    shutil.copy(root / "sources" / "zhanjiang-2021.md", folder / "sources")
    text = (root / "zhanjiang.yaml").read_text("utf-8")
    first = re.sub(r"(effective:\n  from: [^\n]*\n  to: )\S+", r"\g<1>2022-06-30", text)
    second = re.sub(r"(effective:\n  from: )\S+", r"\g<1>2022-07-01", text)
    second = second.replace('version: "', 'version: "b-', 1)
    assert first != text and second != text
    (folder / "a.yaml").write_text(first, "utf-8")
    (folder / "b.yaml").write_text(edit(second), "utf-8")
    return folder


def test_a_version_split_that_changes_nothing_changes_no_outcome(tmp_path):
    """Zhanjiang 2021 given as two versions with the same text, the second in force from
    2022-07-01: every outcome is the one the single file gives (a finding is scored by
    its act's version, the equal one; a band that fired keeps counting as fired across
    the change; restoration and bans alike)."""
    from engine.policy.versions import load_policies

    root = Path(__file__).parent.parent / "policies"
    folder = _zhanjiang_split(tmp_path)
    assert len(load_policies(folder)) == 2
    rows = [
        {"id": "1", "person": "P1", "date": "2022-03-01", "items": "B1"},
        {"id": "2", "person": "P1", "date": "2022-08-01", "items": "C1"},
        {"id": "3", "person": "P1", "date": "2022-09-01", "items": "B2"},
        {"id": "4", "person": "P2", "date": "2022-06-01", "items": "A1"},
        {"id": "5", "person": "P2", "date": "2022-09-15", "items": "A1"},
        {"id": "6", "person": "P3", "date": "2022-05-01", "items": "B1|C1"},
        {"id": "7", "person": "P3", "date": "2022-11-01", "type": "reapply"},
        {"id": "8", "person": "P4", "date": "2022-06-20", "items": "B1", "occurred": "2022-05-01"},
    ]
    one = _people(tmp_path, rows, policy=root / "zhanjiang.yaml", as_of="2023-06-30")
    two = _people(tmp_path, rows, policy=folder, as_of="2023-06-30")
    for code, p in one.items():
        q = dict(two[code])
        q.pop("versions"), q.pop("findings")
        assert q == p, code


def test_a_dated_act_moves_to_the_version_in_force_then_property(tmp_path):
    """Hypothesis-free check of the date rule at the boundary: an act on 2023-06-30 is
    read under 2023, one on 2023-07-01 under 2023-07."""
    from engine.evaluation.lenity import Lenity
    from engine.policy.versions import load_policies

    lenity = Lenity(load_policies(COUNTY))
    assert lenity.version(dt.date(2023, 6, 30)) == (0, True)
    assert lenity.version(dt.date(2023, 7, 1)) == (1, True)
    assert lenity.version(dt.date(2022, 12, 31)) == (0, False)


def test_a_ban_follows_the_version_in_force_when_the_termination_is_decided(tmp_path):
    """With a ban of 1 year in the 2023 text and of 6 months in the 2023-07 text: 串换药品
    (K2, 6 points) on 2023-03-01 (suspended 3 months) and again on 2023-08-01: 12
    points, terminated on 2023-08-01 under the 2023-07 text, whose ban is 6 months:
    a re-application can succeed from 2024-02-01."""
    folder = tmp_path / "county"
    shutil.copytree(COUNTY, folder)
    for name, ban in (("county-2023.yaml", "1 year"), ("county-2023-07.yaml", "6 months")):
        path = folder / name
        path.write_text(
            path.read_text("utf-8")
            + f"bans:\n  - {{when: terminations >= 1, then: ban {ban}, cite: 第三条}}\n",
            "utf-8",
        )
    people = _people(
        tmp_path,
        [
            {"id": "a", "person": "P", "date": "2023-03-01", "items": "K2"},
            {"id": "b", "person": "P", "date": "2023-08-01", "items": "K2"},
        ],
        policy=folder,
    )
    p = people["P"]
    assert (p["status"], p["reapply_from"]) == ("terminated", "2024-02-01")
    assert [a["action"] for a in p["actions"]] == ["suspend", "restore", "terminate", "ban"]


def test_diff_of_two_histories_with_a_ledger(tmp_path):
    """The 2023-07 text of a new history prices 挂床住院 (K1) at 2 rather than 1. Over the
    ledger: 3 (2023) + 2 = 5 in the 2023-07 suspension band (5 and more), where the
    old history gave 3 + 1 = 4 (interview band): the person moves, because of K1."""
    new = tmp_path / "new"
    shutil.copytree(COUNTY, new)
    text = new / "county-2023-07.yaml"
    text.write_text(
        text.read_text("utf-8").replace("{code: K1, points: 1,", "{code: K1, points: 2,"), "utf-8"
    )
    events = _ledger(
        tmp_path / "e.csv",
        [
            {"id": "a", "person": "P", "date": "2023-03-01", "items": "K1"},
            {"id": "b", "person": "P", "date": "2023-08-01", "items": "K1"},
            {"id": "c", "person": "Q", "date": "2023-03-01", "items": "K2"},
        ],
    )
    r = _run("diff", COUNTY, new, "--events", events, "--as-of", AS_OF, "--format", "json")
    assert r.exit_code == 1, r.output
    out = json.loads(r.output)
    imp = out["impact"]
    assert (imp["people"], imp["movers"]) == (2, 1)
    (m,) = imp["people_moved"]
    assert m["person"] == "P"
    assert m["after"]["actions"] == [
        {"action": "interview", "start": "2023-03-01", "end": None},
        {"action": "suspend", "start": "2023-08-01", "end": "2023-08-31"},
    ]
    assert [c["label"] for c in m["causes"]] == ["items: K1 points 1 -> 2"]
    text_out = _run("diff", COUNTY, new, "--events", events, "--as-of", AS_OF)
    assert "people whose outcome changes" in text_out.output


def test_the_report_and_the_api_read_a_history(tmp_path):
    """`policyctl report` and the API's streamed report take a history: the page's data
    names the versions, and counts each finding's items as the version that scored it
    (K1 at 3 under 2023, at 1 under 2023-07); the streamed JSON is the evaluated one."""
    from engine import api

    rows = [
        {"id": "a", "person": "P", "date": "2023-03-01", "items": "K1"},
        {"id": "b", "person": "P", "date": "2023-07-10", "items": "K1", "occurred": "2023-06-20"},
        {"id": "c", "person": "Q", "date": "2023-08-01", "items": "K4", "occurred": "2023-06-01"},
    ]
    events = str(_ledger(tmp_path / "e.csv", rows))
    as_of = dt.date(2023, 12, 31)
    _outcome, _page, data, _font = api.html_report_files(
        COUNTY, events, as_of=as_of, embed_font=False
    )
    assert data["policy"]["version"] == "2023, 2023-07"
    (k1,) = data["items"]  # K4 of Q was not scored: no item counted
    assert (k1["item"], k1["findings"], k1["carried"], k1["versions"]) == (
        "K1",
        2,
        [1, 3],
        ["2023", "2023-07"],
    )
    whole = api.render(api.evaluate_files(COUNTY, events, as_of=as_of), "json")
    outcome, chunks = api.report_files(COUNTY, events, None, as_of, "json")
    assert "".join(chunks) == whole
    r = _run(
        "report",
        "--policy",
        COUNTY,
        "--events",
        events,
        "--as-of",
        AS_OF,
        "-o",
        tmp_path / "r.html",
    )
    assert r.exit_code == 0, r.output


def test_status_intervals_follow_each_versions_restoration(tmp_path):
    """`evaluate --format intervals` across the history: A's suspension is over on
    2023-05-01 under the 2023 text (automatic): no awaiting span; B's on 2023-08-15
    under the 2023-07 text (on application): awaiting from 2023-08-15, open, with the
    2023-07 text's 第四条."""
    from engine import api

    rows = [
        {"id": "a", "person": "A", "date": "2023-02-01", "items": "K2"},
        {"id": "b", "person": "B", "date": "2023-05-15", "items": "K2"},
    ]
    found = api.intervals_files(
        COUNTY, str(_ledger(tmp_path / "e.csv", rows)), as_of=dt.date(2023, 12, 31)
    )
    spans = [(i.person, i.status, str(i.start), str(i.end), i.cite) for i in found]
    assert spans == [
        ("A", "suspended", "2023-02-01", "2023-04-30", "第三条"),
        ("B", "suspended", "2023-05-15", "2023-08-14", "第三条"),
        ("B", "awaiting_reapplication", "2023-08-15", "None", "第四条"),
    ]


def test_commands_that_take_one_version_say_so(tmp_path):
    """The status service stores one version's answers: `db load` given a history of
    two is refused with the versions named (exit 1), never run under one of them."""
    events = _ledger(
        tmp_path / "e.csv", [{"id": "a", "person": "P", "date": "2023-03-01", "items": "K1"}]
    )
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert _run("db", "init", "--db", db).exit_code == 0
    r = _run("db", "load", "--db", db, "--policy", COUNTY, "--events", events)
    assert r.exit_code == 1
    assert "`test-county` has 2 versions (2023, 2023-07): `db load` takes one version" in r.output


def test_the_screen_takes_the_claims_rules_the_versions_share(tmp_path):
    """The claims screen runs one set of `claims:` rules over every line: across a
    history whose versions share them, the as-of version's; versions whose rules
    differ are refused, naming them."""
    from engine.api import _claims_rules
    from engine.policy.versions import load_policies

    same = load_policies(_zhanjiang_split(tmp_path / "same"))
    assert _claims_rules(same, dt.date(2023, 1, 1)).version == "b-2021"
    assert _claims_rules(same, dt.date(2022, 1, 1)).version == "2021"
    other = load_policies(
        _zhanjiang_split(
            tmp_path / "other",
            lambda t: t.replace('visit not in ["emergency", "rescue"]', 'visit != "rescue"'),
        )
    )
    with pytest.raises(PolicyError, match="differ in their `claims:` rules"):
        _claims_rules(other, dt.date(2023, 1, 1))


def test_the_csv_names_each_cycles_findings_and_their_versions(now_and_then):
    """`--format csv` across the history: the columns of one policy, then `versions`
    (the person's, on each row, as `status` is) and `findings` (the cycle's, each
    `event version points basis`). The ledger of test_occurred_changes_a_findings_
    outcome: NOW's 未核验身份 scored 4 by the 2023-07 text in force (interview band 3 to
    under 5, an interview; the suspension band at 5 is 1 point away); THEN's scored 2
    by the 2023 text (从旧): under every band, the interview band 1 point away."""
    events = now_and_then
    r = _run(
        "evaluate", "--policy", COUNTY, "--events", events, "--as-of", AS_OF, "--format", "csv"
    )
    assert r.exit_code == 0, r.output
    assert r.output.splitlines() == [
        "person,status,reapply_from,period,registration,deducted,score,tier,violations,"
        "actions,articles,next_band,next_band_points_away,versions,findings",
        "NOW,active,,2023,1,4,8,interview,1,interview 2023-07-15,第三条,suspend,1,2023-07,"
        "n1 2023-07 4 in_force",
        "THEN,active,,2023,1,2,10,,1,,,interview,1,2023; 2023-07,t1 2023 2 old_rule",
    ]


def test_the_workbook_has_a_sheet_of_findings_by_version(tmp_path, now_and_then):
    """`--format xlsx` across the history: the four sheets, then each finding with the
    version that scored it and why (the ledger of test_occurred_changes_a_findings_
    outcome, worked there); in Chinese too. Under one policy there is no such sheet
    (tests/test_xlsx.py)."""
    import openpyxl

    events = now_and_then
    sheets = {}
    for lang in ("en", "zh"):
        out = tmp_path / f"r-{lang}.xlsx"
        r = _run(
            "--lang", lang, "evaluate", "--policy", COUNTY, "--events", events,
            "--as-of", AS_OF, "--format", "xlsx", "-o", out,
        )  # fmt: skip
        assert r.exit_code == 0, r.output
        sheets[lang] = openpyxl.load_workbook(out)
    wb = sheets["en"]
    assert wb.sheetnames == ["People", "Cycles", "Actions", "Institutions", "Findings by version"]
    rows = list(wb["Findings by version"].iter_rows(values_only=True))
    day = dt.datetime
    assert rows == [
        ("person", "event", "decided", "act occurred", "version", "items", "points", "basis",
         "points under each version"),
        ("NOW", "n1", day(2023, 7, 15), day(2023, 7, 15), "2023-07", "K3", 4,
         "the version in force", None),
        ("THEN", "t1", day(2023, 7, 15), day(2023, 6, 1), "2023", "K3", 2,
         "the old rule (从旧)", "2023: 2; 2023-07: 4"),
    ]  # fmt: skip
    zh = sheets["zh"]
    assert zh.sheetnames[-1] == "违规行为适用版本"
    assert [c.value for c in zh["违规行为适用版本"]["H"]][1:] == [
        "施行中的版本",
        "从旧：行为发生时的规定",
    ]


def test_the_table_names_every_version(tmp_path):
    """`--format table` across the history names the regulation with all its versions
    (the as-of version alone would hide that the 2023 text scored findings)."""
    events = _ledger(
        tmp_path / "e.csv",
        [{"id": "a", "person": "P", "date": "2023-03-01", "items": "K1"}],
    )
    r = _run(
        "evaluate", "--policy", COUNTY, "--events", events, "--as-of", AS_OF, "--format", "table"
    )
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0] == "policy test-county 2023, 2023-07, as of 2023-12-31"
