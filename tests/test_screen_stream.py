"""`policyctl screen` writes the refused and flagged lines as the engine hands them over.

The engine's rows came back as one Arrow table and every line was then unpivoted,
summed and (for json and xlsx) turned into Python objects at once: memory grew with
the lines refused (3.6 GB for 1.9 M refused lines in json). Now they come as
record batches (`engines.BATCH_ROWS` rows), each batch's lines go to the writer,
and what is kept between batches is per institution and practitioner. These tests
make the batches tiny, so that a claim line's rules, an institution's practitioners
and a rule's amounts fall across batches, and hold the streamed output to the
whole one, byte for byte, and to the numbers worked out by hand below.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from engine import api
from engine.cli import cli
from engine.policy import scopes
from engine.screen import engines, output
from tests.conftest import POLICIES, write_csv

COLUMNS = list(scopes.CLAIM_COLUMNS)

# Zhanjiang 第十五条(二)1 deducts 20 points from P1 on 2022-05-10: score 80, 第十七条
# suspends for 3 months (2022-05-10 .. 2022-08-09), and 第二十条 keeps P1 unqualified
# until a re-application; 第四条 refuses P1's lines from 2022-05-10 on (but emergency
# and rescue). 第六条(六) flags an outpatient acute prescription over 3 days.
EVENTS = [{"id": "E1", "person": "P1", "date": "2022-05-10", "type": "violation", "items": "B1"}]


def line(cid, person, inst, date, amount, days="", condition="", visit="outpatient"):
    return {
        "claim_id": cid,
        "person": person,
        "institution": inst,
        "date": date,
        "amount": amount,
        "visit": visit,
        "days_supply": days,
        "condition": condition,
        "mobility_limited": "false",
    }


CLAIMS = [
    line("a1", "P1", "H1", "2022-06-01", "100.00"),  # refused
    line("a2", "P1", "H1", "2022-06-02", "10.50", "5", "acute"),  # refused and flagged
    line("a3", "P1", "H1", "2022-06-03", "7.25", visit="emergency"),  # 除急诊: not refused
    line("a4", "P1", "H2", "2022-07-01", "1.00"),  # refused
    line("b1", "P2", "H1", "2022-06-01", "20.00", "4", "acute"),  # flagged
    line("b2", "P2", "H1", "2022-06-09", "30.00", "3", "acute"),  # 不超过 3: nothing
    line("b3", "P2", "H1", "2022-06-10", "40.00", "9", "acute"),  # flagged
    line("c1", "P3", "H2", "2022-06-01", "5.00", "", "acute"),  # undecided: no days
    line("c2", "P1", "H2", "2022-04-01", "2.00"),  # before the suspension: nothing
]


@pytest.fixture
def files(tmp_path):
    ev = write_csv(tmp_path / "events.csv", EVENTS)
    cl = write_csv(tmp_path / "claims.csv", CLAIMS, COLUMNS)
    return str(ev), str(cl)


def _screen(files, sink=None):
    ev, cl = files
    policy = str(POLICIES / "zhanjiang.yaml")
    return api.screen_files(policy, ev, cl, as_of=dt.date(2023, 12, 31), sink=sink)


class Recorder:
    """A sink that keeps what it is given."""

    def __init__(self):
        self.screened = None
        self.batches = []

    def start(self, screened):
        self.screened = screened

    def lines(self, table):
        self.batches.append(table)


@pytest.mark.parametrize("rows", [1, 2, 3])
def test_lines_come_in_batches_and_the_summaries_count_across_them(files, monkeypatch, rows):
    whole = _screen(files)
    monkeypatch.setattr(engines, "BATCH_ROWS", rows)
    sink = Recorder()
    streamed = _screen(files, sink)
    assert streamed.lines is None
    # the engine's rows: a1 a2 a4 b1 b3 (fired) and c1 (undecided), 6 rows
    assert len(sink.batches) == -(-6 // rows)
    import pyarrow as pa

    assert pa.concat_tables(sink.batches).equals(whole.lines)
    assert streamed.institutions.equals(whole.institutions)
    assert streamed.rules.equals(whole.rules)
    # by hand: H1 has a1 a2 (P1, refused 110.50, a2 also flagged) and b1 b3 (P2, flagged
    # 60.00): 4 lines, 2 practitioners; H2 has a4 (P1, refused 1.00): 1 line, 1 practitioner
    inst = {r["institution"]: r for r in streamed.institutions.to_pylist()}
    assert inst["H1"]["lines"] == 4 and inst["H1"]["practitioners"] == 2
    assert inst["H1"]["refused_amount"] == Decimal("110.50")
    assert inst["H1"]["flagged_lines"] == 3 and inst["H1"]["flagged_amount"] == Decimal("70.50")
    assert inst["H2"]["lines"] == 1 and inst["H2"]["practitioners"] == 1
    rules = {r["rule"]: r for r in streamed.rules.to_pylist()}
    assert rules["refuse-not-qualified"]["lines"] == 3
    assert rules["refuse-not-qualified"]["amount"] == Decimal("111.50")
    assert rules["refuse-not-qualified"]["institutions"] == 2
    assert rules["acute-over-3-days"]["lines"] == 3
    assert rules["acute-over-3-days"]["practitioners"] == 2
    assert rules["acute-over-3-days"]["undecided"] == 1


def _cli(files, tmp_path, fmt, name):
    ev, cl = files
    out = tmp_path / f"{name}.{fmt}"
    r = CliRunner().invoke(
        cli,
        ["screen", "--policy", str(POLICIES / "zhanjiang.yaml"), "--events", ev]
        + ["--claims", cl, "--as-of", "2023-12-31", "--format", fmt, "--output", str(out)],
    )
    assert r.exit_code == 0, r.output
    return out


@pytest.mark.parametrize("fmt", ["json", "csv", "parquet", "xlsx"])
def test_streamed_files_are_the_whole_result_written_at_once(files, tmp_path, monkeypatch, fmt):
    whole = _screen(files)
    ref = tmp_path / f"ref.{fmt}"
    output.write(whole, fmt, str(ref), None)
    monkeypatch.setattr(engines, "BATCH_ROWS", 2)
    got = _cli(files, tmp_path, fmt, "got")
    if fmt == "json":
        assert got.read_bytes() == ref.read_bytes()
        doc = json.loads(got.read_text("utf-8"))
        assert [x["claim_id"] for x in doc["lines"]] == ["a1", "a2", "a2", "b1", "b3", "a4"]
    elif fmt == "csv":
        for part in ("", ".institutions", ".rules"):
            assert (tmp_path / f"got{part}.csv").read_bytes() == (
                tmp_path / f"ref{part}.csv"
            ).read_bytes()
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        for part in ("", ".institutions", ".rules"):
            a = pq.read_table(tmp_path / f"got{part}.parquet")
            b = pq.read_table(tmp_path / f"ref{part}.parquet")
            assert a.schema == b.schema and a.to_pylist() == b.to_pylist()
        assert pq.ParquetFile(got).metadata.num_row_groups == 3  # a batch a row group
    else:
        from openpyxl import load_workbook

        def cells(path):
            wb = load_workbook(path, read_only=True)
            return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb}

        assert cells(got) == cells(ref)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_json_to_standard_output_streamed(files, monkeypatch):
    whole = _screen(files)
    monkeypatch.setattr(engines, "BATCH_ROWS", 1)
    ev, cl = files
    r = CliRunner().invoke(
        cli,
        ["screen", "--policy", str(POLICIES / "zhanjiang.yaml"), "--events", ev]
        + ["--claims", cl, "--as-of", "2023-12-31"],
    )
    assert r.exit_code == 0, r.output
    assert r.stdout == output.as_json(whole)


def test_no_lines_at_all(files, tmp_path, monkeypatch):
    ev, _ = files
    cl = write_csv(tmp_path / "none.csv", [CLAIMS[-1]], COLUMNS)
    monkeypatch.setattr(engines, "BATCH_ROWS", 1)
    sink = Recorder()
    result = _screen((ev, str(cl)), sink)
    assert [b.num_rows for b in sink.batches] == [0]
    assert sink.screened["policy"] == "zhanjiang"
    assert result.institutions.num_rows == 0
    assert result.rules["lines"].to_pylist() == [0, 0, 0, 0]
