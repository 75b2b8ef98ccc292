"""`evaluate --format xlsx` (issue 15 §3), read back: sheets for people, cycles, actions
(with articles and dates) and institutions; typed cells; a frozen header, an autofilter
and column widths; headings in the chosen language.

The numbers are the golden case of tests/test_cli.py (checked by hand there): P1 9
points in 2024 (suspend-6m, 五(一)), suspended from 2024-03-01 then from 2024-04-15 to
2024-10-14; P2 terminated on 2024-05-20 (五(一))."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from engine.cli import cli

ROOT = Path(__file__).resolve().parent.parent
FIX = Path(__file__).parent / "fixtures" / "cli"


def _workbook(tmp_path, lang="en"):
    out = tmp_path / f"report-{lang}.xlsx"
    args = ["--lang", lang, "evaluate", "--policy", str(ROOT / "policies" / "jining.yaml")]
    args += ["--events", str(FIX / "events.csv"), "--roster", str(FIX / "roster.csv")]
    r = CliRunner().invoke(
        cli, [*args, "--as-of", "2025-12-31", "--format", "xlsx", "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    return openpyxl.load_workbook(out)


def _records(ws):
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_sheets_typed_cells_frozen_header_filter_widths(tmp_path):
    wb = _workbook(tmp_path)
    assert wb.sheetnames == ["People", "Cycles", "Actions", "Institutions"]
    for ws in wb:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
        assert ws.column_dimensions["A"].width >= 8
        assert all(c.font.bold for c in ws[1])
    cycles = _records(wb["Cycles"])
    p1 = next(c for c in cycles if c["person"] == "P1")
    assert p1["deducted"] == 9 and isinstance(p1["deducted"], int) and p1["tier"] == "suspend-6m"
    acts = [a for a in _records(wb["Actions"]) if a["person"] == "P1" and a["action"] == "suspend"]
    assert [(a["start"], a["end"], a["article"]) for a in acts] == [
        (dt.datetime(2024, 3, 1), dt.datetime(2024, 4, 14), "五(一)"),
        (dt.datetime(2024, 4, 15), dt.datetime(2024, 10, 14), "五(一)"),
    ]
    assert wb["Actions"]["C2"].number_format == "yyyy-mm-dd"
    p2 = next(a for a in _records(wb["Actions"]) if a["person"] == "P2")
    assert (p2["action"], p2["start"], p2["article"]) == (
        "terminate",
        dt.datetime(2024, 5, 20),
        "五(一)",
    )
    inst = _records(wb["Institutions"])
    assert inst[0]["institution"] == "H1" and inst[0]["staff"] == 2 and inst[0]["article"]


def test_headings_in_chinese(tmp_path):
    wb = _workbook(tmp_path, "zh")
    assert wb.sheetnames == ["人员", "记分周期", "处理", "定点医药机构"]
    assert [c.value for c in wb["处理"][1]][:5] == ["人员", "处理", "开始日期", "结束日期", "条款"]
    assert "中止" in [c.value for c in wb["处理"]["B"]]


def test_xlsx_needs_a_file():
    args = ["evaluate", "--policy", str(ROOT / "policies" / "jining.yaml"), "--events"]
    r = CliRunner().invoke(cli, [*args, str(FIX / "events.csv"), "--format", "xlsx"])
    assert r.exit_code == 2 and "--output" in r.output


def test_people_carry_their_next_band(tmp_path):
    """Nobody in the golden ledger has a finding in 2025, the as-of year: each starts it
    at 0, an interview 5 points away (Jining 五(一)), as evaluate's JSON says."""
    people = _records(_workbook(tmp_path)["People"])
    assert {(p["person"], p["next band"], p["points away"]) for p in people} == {
        ("P1", "interview", 5),
        ("P2", "interview", 5),
        ("P3", "interview", 5),
        ("P4", "interview", 5),
    }
