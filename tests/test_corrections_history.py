"""Corrections and decisions on a ledger evaluated across a regulation's history (issue 22
§1 with issue 14): the trail of a correction, and an amendment's items, under the version
each finding is read in (docs/semantics.md, "A regulation that changes").

Fixtures (tests/fixtures/history, each text beside its YAML):

- test-county, revised on 2023-07-01: 串换药品 (K2) 6 points in both; 第三条 suspends
  "6 to under 12" for 3 months under the 2023 text, "5 to under 12" for 1 month under
  2023-07; 第四条 restores automatically under 2023, on application under 2023-07.
- test-city, renumbered on 2024-01-01: 伪造医疗文书 is A4 (12 points) in 2023 and C1 in
  2024 (maps/2023-to-2024.yaml); 第三条 terminates at 12.

Every expected value is worked from those articles, not read off the program.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_csv

from engine.cli import cli

FIXTURES = Path(__file__).parent / "fixtures" / "history"
COUNTY = FIXTURES / "county"
CITY = FIXTURES / "city"
COLUMNS = ["id", "person", "date", "type", "items", "occurred", "target", "document", "action"]


def _run(tmp_path: Path, policy: Path, rows: list[dict], as_of: str, *more: str):
    events = write_csv(tmp_path / "events.csv", rows, COLUMNS)
    args = ["evaluate", "--policy", str(policy), "--events", str(events), "--as-of", as_of]
    return CliRunner().invoke(cli, [*args, *more])


def _evaluate(tmp_path: Path, policy: Path, rows: list[dict], as_of: str) -> dict:
    r = _run(tmp_path, policy, rows, as_of)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _changes(trail: dict) -> list[tuple]:
    return [
        (
            c["action"],
            c["change"],
            *((c[s] or {}).get(k) for s in ("old", "new") for k in ("start", "end")),
        )
        for c in trail["changes"]
    ]


def _served(trail: dict) -> list[tuple]:
    return [(s["from"], s["to"], s["days"], s["status"]) for s in trail["served_in_error"]]


def test_a_revoked_finding_scored_under_the_older_version(tmp_path):
    """K2 (6 points) on 2023-03-01, under the 2023 text: 6 to under 12, suspended 3
    months, 2023-03-01 to 2023-05-31; over on 2023-06-01, still under the 2023 text
    (to 2023-06-30), which restores automatically. Revoked on 2023-08-01, under the
    2023-07 text. The trail is the one the history gives, not the 2023-07 text's alone
    (which would suspend 1 month and then await an application): the suspension and
    the restoration removed; the 92 days 2023-03-01..2023-05-31 (31 + 30 + 31)
    served in error; active on 2023-12-31 either way."""
    rows = [
        {"id": "E1", "person": "P", "date": "2023-03-01", "items": "K2"},
        {
            "id": "R1",
            "date": "2023-08-01",
            "type": "revoke",
            "target": "E1",
            "document": "县医保复〔2023〕1号",
        },
    ]
    out = _evaluate(tmp_path, COUNTY, rows, "2023-12-31")
    assert out["people"] == []
    (t,) = out["corrections"]
    assert _changes(t) == [
        ("suspend", "removed", "2023-03-01", "2023-05-31", None, None),
        ("restore", "removed", "2023-06-01", None, None, None),
    ]
    assert t["changes"][0]["old"]["cite"] == "第三条"
    assert "status" not in t and "reapply_from" not in t
    assert _served(t) == [("2023-03-01", "2023-05-31", 92, "suspended")]


def test_a_revocation_across_the_change_of_restoration(tmp_path):
    """K2 on 2023-06-10 (2023 text): suspended 3 months, 2023-06-10 to 2023-09-09; over
    on 2023-09-10, under the 2023-07 text, which wants an application (第四条): awaiting
    it from 2023-09-10. Revoked on 2023-10-09: the 92 days suspended (21 in June, 31,
    31, 9 in September) and the 29 awaiting (2023-09-10..2023-10-08) served in error;
    awaiting_reapplication before, active after, as of 2023-12-31."""
    rows = [
        {"id": "E1", "person": "P", "date": "2023-06-10", "items": "K2"},
        {"id": "R1", "date": "2023-10-09", "type": "revoke", "target": "E1"},
    ]
    (t,) = _evaluate(tmp_path, COUNTY, rows, "2023-12-31")["corrections"]
    assert _changes(t) == [("suspend", "removed", "2023-06-10", "2023-09-09", None, None)]
    assert t["status"] == {"old": "awaiting_reapplication", "new": "active"}
    assert _served(t) == [
        ("2023-06-10", "2023-09-09", 92, "suspended"),
        ("2023-09-10", "2023-10-08", 29, "awaiting_reapplication"),
    ]


@pytest.mark.parametrize("code", ["A4", "C1"])
def test_an_amendment_to_an_item_whose_code_differs_per_version(tmp_path, code):
    """未核验身份 (A3, 2 points under the 2023 text) found on 2023-06-01: no band. On
    2024-02-01, under the 2024 text, the finding is amended to 伪造医疗文书: A4 in the
    2023 catalogue, C1 in the 2024 one. The finding keeps its own date, so it is read
    under the 2023 text either way: the amendment may name the item by the finding's
    own version's code (A4) or by the code in use when it is made (C1, carried back
    through the map to A4). 12 points: 第三条 "deducted >= 12" terminates, on the
    finding's day."""
    rows = [
        {"id": "E1", "person": "P", "date": "2023-06-01", "items": "A3"},
        {"id": "M1", "date": "2024-02-01", "type": "amend", "target": "E1", "items": code},
    ]
    out = _evaluate(tmp_path, CITY, rows, "2024-12-31")
    (p,) = out["people"]
    assert p["status"] == "terminated"
    assert [(a["action"], a["start"]) for a in p["actions"]] == [("terminate", "2023-06-01")]
    (f,) = p["findings"]
    assert (f["event"], f["version"], f["items"], f["points"]) == ("E1", "2023", ["A4"], 12)
    (t,) = out["corrections"]
    assert t["corrected"]["items"] == ["A4"]
    assert _changes(t) == [("terminate", "added", None, None, "2023-06-01", None)]
    assert t["status"] == {"old": "active", "new": "terminated"}


def test_an_amendment_naming_no_item_of_the_findings_versions_is_an_error(tmp_path):
    """An amendment's codes are read as its finding's are. B9 is an item of no version:
    an error at the amendment's line. C1, where the map does not carry it back (here
    the map names A1 only, and 伪造、变造医疗文书 is not the 2023 text's wording), is
    no item of version 2023, which the finding of 2023-06-01 is read in: an error
    naming that version. B1, where the map merges 挂床住院 and 串换药品 into it, cannot
    say which 2023 item it was: an error listing them."""
    rows = [
        {"id": "E1", "person": "P", "date": "2023-06-01", "items": "A3"},
        {"id": "M1", "date": "2024-02-01", "type": "amend", "target": "E1", "items": "B9"},
    ]
    r = _run(tmp_path, CITY, rows, "2024-12-31")
    assert r.exit_code == 1
    assert "events.csv:3: error[item]: unknown item code `B9` (read against every version" in (
        r.stderr
    )
    folder = tmp_path / "city"
    shutil.copytree(CITY, folder)
    maps = folder / "maps" / "2023-to-2024.yaml"
    for text, code, says in (
        (
            "A1: B1\n",
            "C1",
            "item `C1` is not in the catalogue the amended finding is read in "
            "(version 2023 of `test-city`, in force 2023-01-01 to 2023-12-31)",
        ),
        (
            "A1: B1\nA2: B1\nA4: C1\n",
            "B1",
            "item `B1` of version 2024 stands for several "
            "items of version 2023, which the amended finding is read in: A1, A2",
        ),
    ):
        maps.write_text(text, "utf-8")
        rows[1]["items"] = code
        r = _run(tmp_path, folder, rows, "2024-12-31")
        assert r.exit_code == 1, r.output
        assert f"events.csv:3: error[item]: {says}" in r.stderr


def _decided_county(tmp_path: Path) -> Path:
    """test-county with sanctions that bind once decided, in both versions."""
    folder = tmp_path / "county"
    shutil.copytree(COUNTY, folder)
    for f in folder.glob("*.yaml"):
        text = f.read_text("utf-8")
        marker = "\nscale:"
        assert text.count(marker) == 1
        decided = "\ndecisions: {take_effect: on-decision, cite: 第三条}" + marker
        f.write_text(text.replace(marker, decided), "utf-8")
    return folder


def test_a_decision_on_a_sanction_computed_under_the_older_version(tmp_path):
    """K2 on 2023-06-10 (2023 text): suspended 3 months, 2023-06-10 to 2023-09-09.
    Decided on 2023-07-05, under the 2023-07 text. As shipped (on computation) the
    decision records itself on the sanction. Under a copy whose versions bind sanctions
    on decision: before the decision (as of 2023-07-01) the suspension is proposed and
    P active, computed suspended; after it, in force from 2023-07-05 to its computed
    end, then (第四条 of the 2023-07 text, in force when it is over) awaiting an
    application: the status intervals say so."""
    rows = [
        {"id": "E1", "person": "P", "date": "2023-06-10", "items": "K2"},
        {
            "id": "D1",
            "date": "2023-07-05",
            "type": "decision",
            "target": "E1",
            "document": "县医保〔2023〕5号",
        },
    ]
    (p,) = _evaluate(tmp_path, COUNTY, rows, "2023-12-31")["people"]
    (s,) = [a for a in p["actions"] if a["action"] == "suspend"]
    assert s["decision"] == {"event": "D1", "document": "县医保〔2023〕5号", "date": "2023-07-05"}
    assert (s["start"], s["end"], "in_force_from" in s) == ("2023-06-10", "2023-09-09", False)

    decided = _decided_county(tmp_path)
    (p,) = _evaluate(tmp_path, decided, rows, "2023-07-01")["people"]
    assert (p["status"], p["proposed_status"]) == ("active", "suspended")
    (p,) = _evaluate(tmp_path, decided, rows, "2023-08-01")["people"]
    assert p["status"] == "suspended" and "proposed_status" not in p
    (s,) = [a for a in p["actions"] if a["action"] == "suspend"]
    assert (s["start"], s["end"], s["in_force_from"]) == ("2023-06-10", "2023-09-09", "2023-07-05")
    r = _run(tmp_path, decided, rows, "2023-12-31", "--format", "intervals")
    assert r.exit_code == 0, r.output
    got = [line.split(",")[3:7] for line in r.stdout.splitlines()[1:]]
    assert got == [
        ["suspended", "suspend", "2023-07-05", "2023-09-09"],
        ["awaiting_reapplication", "suspend", "2023-09-10", ""],
    ]


@pytest.mark.parametrize("decided", [False, True])
def test_streamed_across_a_history_is_the_whole_ledgers_report(tmp_path, monkeypatch, decided):
    """A history's ledger with corrections and decisions is streamed, its corrections
    read first (api._fold), as it is for one version: the same bytes in every format as
    the ledger read whole, here with a revocation across the change of restoration, an
    amendment by the later version's code and a decision on a finding of the older one."""
    rows = [
        {"id": "E1", "person": "P", "date": "2023-06-10", "items": "K2"},
        {"id": "E2", "person": "Q", "date": "2023-06-12", "items": "K2"},
        {"id": "E3", "person": "S", "date": "2023-06-20", "items": "K2"},
        {"id": "D1", "date": "2023-07-05", "type": "decision", "target": "E2"},
        {"id": "M1", "date": "2023-08-01", "type": "amend", "target": "E3", "items": "K2"},
        {"id": "R1", "date": "2023-10-09", "type": "revoke", "target": "E1"},
    ]
    policy = _decided_county(tmp_path) if decided else COUNTY
    events = write_csv(tmp_path / "events.csv", rows, COLUMNS)
    args = ["evaluate", "--policy", str(policy), "--events", str(events), "--as-of"]
    import engine.api
    import engine.ledger.read

    def whole(*a, **k):
        return None  # (standard input's answer: read the ledger whole)

    for fmt in ("json", "jsonl", "table", "csv"):  # (the formats report_files streams)
        for as_of in ("2023-07-01", "2023-12-31"):
            with monkeypatch.context() as m:
                m.setattr(engine.ledger.read, "stream_ledger", whole)
                want = CliRunner().invoke(cli, [*args, as_of, "--format", fmt])
            with monkeypatch.context() as m:
                m.setattr(engine.api, "read_ledger", lambda *a, **k: pytest.fail("read whole"))
                got = CliRunner().invoke(cli, [*args, as_of, "--format", fmt])
            assert want.exit_code == got.exit_code == 0, (want.output, got.output)
            assert got.stdout == want.stdout
            if fmt == "json" and as_of == "2023-12-31":
                assert [t["correction"] for t in json.loads(got.stdout)["corrections"]] == [
                    "R1",
                    "M1",
                ]
