"""`--format table` (issue 15 §3): drawn with rich so columns align with Chinese (wide)
characters; a summary by default (counts by status and tier, the sanctioned people),
everyone with --all; headings in the chosen language; counts kept, people let go."""

from __future__ import annotations

import datetime as dt
import unicodedata

from click.testing import CliRunner
from conftest import POLICIES, write_csv

from engine.cli import cli
from engine.report.table import TableSummary


def _cols(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _ledger(tmp_path):
    # 张三: 6 points (Jining 四(三)1 C1) -> suspend 3 months, 五(一); 李四四: 1 point, nothing
    rows = [
        {"id": "E1", "person": "张三", "date": "2024-04-01", "items": "C1"},
        {"id": "E2", "person": "李四四", "date": "2024-04-02", "items": "A1"},
        {"id": "E3", "person": "P3", "date": "2024-04-03", "items": "A1"},
    ]
    return write_csv(tmp_path / "e.csv", rows)


def _table(tmp_path, *extra, lang="en"):
    args = ["--lang", lang, "evaluate", "--policy", str(POLICIES / "jining.yaml")]
    args += ["--events", str(_ledger(tmp_path)), "--as-of", "2024-05-01", "--format", "table"]
    r = CliRunner().invoke(cli, [*args, *extra])
    assert r.exit_code == 0, r.output
    return r.stdout


def _block(text: str, heading_word: str) -> list[str]:
    """The rows of the table whose heading line contains `heading_word`."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if heading_word in line and "─" not in line)
    out = [lines[start]]
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        out.append(line)
    return out


def test_columns_align_on_screen_with_wide_characters(tmp_path):
    for lang, heading in (("en", "re-apply from"), ("zh", "可重新申请日期")):
        rows = _block(_table(tmp_path, "--all", lang=lang), heading)
        assert any("张三" in r for r in rows) and any("李四四" in r for r in rows)
        # the status column starts at the same screen column on every row
        starts = set()
        for r in rows:
            cell = r.split()[1]
            starts.add(_cols(r[: r.index(cell, len(r.split()[0]))]))
        assert len(starts) == 1, rows


def test_summary_by_default_everyone_with_all(tmp_path):
    summary = _table(tmp_path)
    assert "sanctioned (1)" in summary
    sanctioned = _block(summary, "re-apply from")
    assert [r.split()[0] for r in sanctioned[1:]] == ["张三"]
    assert "suspend 2024-04-01 [五(一)]" in summary
    status = _block(summary, "status")
    assert any(r.split() == ["suspended", "1"] for r in status)
    assert any(r.split() == ["active", "2"] for r in status)
    everyone = _table(tmp_path, "--all")
    assert "everyone (3)" in everyone
    assert [r.split()[0] for r in _block(everyone, "re-apply from")[1:]] == ["P3", "张三", "李四四"]


def test_headings_in_chinese(tmp_path):
    zh = _table(tmp_path, lang="zh")
    assert "受到处理的人员（1）" in zh
    assert "中止 2024-04-01 [五(一)]" in zh  # the article as written
    for heading in ("状态", "人数", "记分周期", "档次", "可重新申请日期"):
        assert heading in zh


def test_the_summary_keeps_counts_not_people():
    from engine.evaluation.outcome import CycleOut, PersonOutcome

    s = TableSummary()
    d = dt.date(2024, 1, 1)
    cycle = CycleOut("2024", d, d.replace(month=12, day=31), 1, None, None, 1, 0, 1)
    people = [PersonOutcome(f"P{i}", "active", [cycle], [], None) for i in range(5000)]
    s.add(people)
    assert s.people == 5000 and s.status["active"] == 5000 and s.rows == []
