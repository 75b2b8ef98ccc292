"""`policyctl report`: the HTML report's data, its file, and its errors.

The numbers the report draws are pinned by golden files (the data embedded in the
page, not its markup), checked against `evaluate` on the same ledger (one engine),
and, on small ledgers, against values worked out by hand from the articles
(Jining 四, 五(一); Zhanjiang 第十五条, 第十七条). The page itself is opened in a
real browser by tests/test_report_browser.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import api
from engine.cli import cli
from tests import report_pages
from tests.conftest import write_csv

GOLDEN = Path(__file__).parent / "golden"
ROOT = Path(__file__).resolve().parent.parent
_example = report_pages.example


def _data(page: str) -> dict:
    """The data a report embeds, read back from the page as a program would."""
    m = re.search(r'<script type="application/json" id="policyctl-data">(.*?)</script>', page, re.S)
    assert m, "the page embeds its data"
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    """Both examples' reports: Jining's in Chinese, Zhanjiang's in English."""
    return {
        "jining": report_pages.report("jining", "zh").read_text("utf-8"),
        "zhanjiang": report_pages.report("zhanjiang", "en").read_text("utf-8"),
    }


@pytest.mark.parametrize("city", ["jining", "zhanjiang"])
def test_embedded_data_matches_golden(pages, city):
    data = _data(pages[city])
    path = GOLDEN / f"report-{city}.json"
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, "utf-8")
    assert json.loads(text) == json.loads(path.read_text("utf-8"))


@pytest.mark.parametrize("city", ["jining", "zhanjiang"])
def test_the_page_is_self_contained(pages, city):
    page = pages[city]
    assert page.startswith("<!DOCTYPE html>")
    # nothing fetched: no external script, style, font or image
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<link" not in page and "@import" not in page
    assert not re.search(r"url\((?!data:|#)", page)
    charts = page.count('<svg class="chart"')
    assert charts >= 4  # months, institutions, distribution, timelines
    assert len(page.encode()) < 5_000_000


def test_the_language_is_chosen(pages):
    zh, en = pages["jining"], pages["zhanjiang"]
    assert '<html lang="zh-CN">' in zh and "临近下一档" in zh and "按机构" in zh
    assert '<html lang="en">' in en and "Close to the next band" in en
    # the regulation's own words stay as written, in either language
    assert "第十七条" in en and "五(一)" in zh


def test_same_numbers_as_evaluate():
    """The report's counts are evaluate's, on the same ledger (one engine)."""
    policy, events, roster, as_of = _example("jining")
    day = dt.date.fromisoformat(as_of)
    outcome = api.evaluate_files(policy, events, roster, day)
    _, _, data, _ = api.html_report_files(policy, events, roster, day, embed_font=False)
    assert data["people"] == len(outcome.people)
    assert data["status"] == {
        s: sum(p.status == s for p in outcome.people)
        for s in ("active", "suspended", "awaiting_reapplication", "terminated")
    }
    rank = {t["id"]: i for i, t in enumerate(data["tiers"])}
    by_period: Counter = Counter()
    for p in outcome.people:
        harshest: dict[str, int] = {}
        for c in p.cycles:
            harshest[c.period] = max(harshest.get(c.period, -1), rank.get(c.tier, -1))
        by_period.update(harshest.items())
    for row in data["bands"]:
        assert row["none"] == by_period[(row["period"], -1)]
        for tier, n in row["tiers"].items():
            assert n == by_period[(row["period"], rank[tier])]
    per_month = Counter(
        (a.start.isoformat()[:7], a.action)
        for p in outcome.people
        for a in p.actions
        if a.action in ("interview", "suspend", "terminate")
        and a.source != "cascade"
        and "superseded_by" not in a.extra  # never took effect (docs/semantics.md)
    )
    for m in data["months"]:
        for kind in ("interview", "suspend", "terminate"):
            assert m[kind] == per_month[(m["month"], kind)]
    judged = {(i.institution, i.period): i for i in outcome.institutions}
    for row in data["institutions"]:
        i = judged.get((row["institution"], data["period"]))
        assert row["sanctioned"] == (i.sanctioned if i else 0)
        assert row["staff"] == (i.staff if i else row["staff"])


# ---- hand-worked ---------------------------------------------------------------------------


def _report(tmp_path, city, rows, roster, as_of="2025-12-31", **kw):
    ev = write_csv(tmp_path / "events.csv", rows)
    ro = write_csv(tmp_path / "roster.csv", roster, ["person", "institution"])
    _, _, data, _ = api.html_report_files(
        str(ROOT / "policies" / f"{city}.yaml"),
        str(ev),
        str(ro),
        dt.date.fromisoformat(as_of),
        embed_font=False,
        **kw,
    )
    return data


def _finding(i, person, date, items, inst="H1"):
    return {
        "id": f"E{i}",
        "person": person,
        "date": date,
        "type": "violation",
        "items": items,
        "institution": inst,
    }


def test_jining_hand_worked(tmp_path):
    """Jining 四: A items 1 point, B 3, C 6 (四(一)-(三)); 五(一): 5 interview, 6-8
    suspend 3 months, 9-11 suspend 6 months, 12 terminate."""
    rows = [
        _finding(1, "P1", "2025-02-01", "A1"),  # P1: 1
        _finding(2, "P1", "2025-03-01", "B1"),  # P1: 1 + 3 = 4, one point from interview
        _finding(3, "P2", "2025-03-10", "C1"),  # P2: 6, suspend 3 months (五(一))
        _finding(4, "P2", "2025-05-10", "A2"),  # P2: 7, two points from 6 months
        _finding(5, "P3", "2024-06-01", "C1"),  # P3: 6 in 2024; 2025 starts again at 0
    ]
    roster = [{"person": p, "institution": "H1"} for p in ("P1", "P2", "P3", "P4")]
    data = _report(tmp_path, "jining", rows, roster)
    assert data["people"] == 4
    assert data["status"]["active"] == 4  # P2's suspension 2025-03-10..06-09 is over
    assert data["months"][0]["month"] == "2024-06"
    by_month = {m["month"]: m for m in data["months"]}
    assert by_month["2025-03"]["findings"] == 2
    assert by_month["2025-03"]["suspend"] == 1 and by_month["2024-06"]["suspend"] == 1
    assert data["distribution"]["totals"] == [[4, 1], [7, 1]]
    assert data["distribution"]["without_findings"] == 2
    items = {i["item"]: i for i in data["items"]}
    assert items["C1"]["findings"] == 2 and items["C1"]["this_cycle"] == 1
    assert items["C1"]["points"] == 6 and items["C1"]["text"].startswith("拒绝、阻挠")
    assert items["C1"]["cite"] == "四(三)1"
    near = {r["person"]: r for r in data["near"]["people"]}
    assert data["near"]["within"] == 2  # twice Jining's lightest item (1 point)
    assert near["P1"]["tier"] == "interview" and near["P1"]["points_away"] == 1
    assert near["P2"]["tier"] == "suspend-6m" and near["P2"]["points_away"] == 2
    assert "P3" not in near and "P4" not in near  # nothing deducted this cycle
    inst = data["institutions"][0]
    assert inst["institution"] == "H1" and inst["staff"] == 4
    assert inst["with_findings"] == 2 and inst["sanctioned"] == 1
    assert inst["bands"]["suspend-3m"] == 1
    # timelines: the sanctioned first, then by points this cycle
    order = [t["person"] for t in data["timelines"]]
    assert order[:2] == ["P2", "P1"]
    p2 = data["timelines"][0]
    assert p2["findings"] == [["2025-03-10", ["C1"], 6], ["2025-05-10", ["A2"], 7]]
    assert p2["next_band"] == {"tier": "suspend-6m", "points_away": 2}
    sus = [a for a in p2["actions"] if a["action"] == "suspend"]
    assert [(a["start"], a["end"], a["cite"]) for a in sus] == [
        ("2025-03-10", "2025-06-09", "五(一)")
    ]


def test_zhanjiang_hand_worked(tmp_path):
    """Zhanjiang 第十五条: 100 a year; 第十七条: 80 < score <= 90 interview (10 points
    deducted), 70 < score <= 80 suspend 3 months (20)."""
    rows = [
        _finding(1, "Z1", "2023-02-01", "D2"),  # 5 (第十五条(四)2): score 95
        _finding(2, "Z2", "2023-02-01", "C1"),  # 10: score 90, interview
    ]
    roster = [{"person": p, "institution": "H1"} for p in ("Z1", "Z2")]
    data = _report(tmp_path, "zhanjiang", rows, roster, as_of="2023-12-31", near=10)
    near = {r["person"]: r for r in data["near"]["people"]}
    assert near["Z1"]["tier"] == "interview" and near["Z1"]["points_away"] == 5
    assert near["Z2"]["tier"] == "suspend-3m" and near["Z2"]["points_away"] == 10
    assert data["distribution"]["totals"] == [[5, 1], [10, 1]]


def test_institution_scope_and_named_people(tmp_path):
    rows = [
        _finding(1, "P1", "2025-02-01", "C1", "H1"),
        _finding(2, "P2", "2025-02-01", "B1", "H2"),
    ]
    roster = [{"person": "P1", "institution": "H1"}, {"person": "P2", "institution": "H2"}]
    data = _report(tmp_path, "jining", rows, roster, institutions=["H2"], people=["P2"])
    assert data["scope"]["institutions"] == ["H2"]
    assert data["people"] == 1
    assert [i["institution"] for i in data["institutions"]] == ["H2"]
    assert [t["person"] for t in data["timelines"]] == ["P2"]
    assert sum(m["findings"] for m in data["months"]) == 1


def _cli(tmp_path, *extra):
    policy, events, roster, as_of = _example("jining")
    args = ["report", "--policy", policy, "--events", events, "--as-of", as_of, *extra]
    return CliRunner().invoke(cli, args)


def test_unknown_person_is_bad_input(tmp_path):
    _, _, roster, _ = _example("jining")
    out = tmp_path / "r.html"
    res = _cli(tmp_path, "--roster", roster, "--person", "JN01999", "--output", str(out))
    assert res.exit_code == 1
    assert "error[unknown-person]" in res.output and "did you mean" in res.output
    assert not out.exists()


def test_unknown_institution_is_bad_input(tmp_path):
    _, _, roster, _ = _example("jining")
    out = tmp_path / "r.html"
    res = _cli(tmp_path, "--roster", roster, "--institution", "JNH99", "--output", str(out))
    assert res.exit_code == 1 and "error[unknown-institution]" in res.output
    assert not out.exists()


def test_institution_needs_a_roster(tmp_path):
    res = _cli(tmp_path, "--institution", "JNH01", "--output", str(tmp_path / "r.html"))
    assert res.exit_code == 2 and "--institution needs --roster" in res.output


def test_output_is_required(tmp_path):
    res = _cli(tmp_path)
    assert res.exit_code == 2
