"""Issue 13 §14: a small .xlsx that expands to millions of rows (a "row bomb") is
refused by its size, counted from the sheet's XML as a stream, before calamine
builds the sheet whole in memory. The limits (engine/limits.py) are patched down so
that a small workbook stands for a large one; the sheet's XML is also written by
hand, as a generator of bombs would, with and without `r` numbers and prefixes."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

from engine import limits
from engine.ledger.read import read_events
from engine.ledger.workbook import sheet_size

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_ledger import problems, write_policy  # noqa: E402
from test_ledger_hardening import _workbook  # noqa: E402


@pytest.fixture()
def policy(tmp_path):
    return write_policy(tmp_path)


def _rows(n: int) -> list[list]:
    return [["person", "date", "items"]] + [[f"P{i}", "2024-03-05", "A1"] for i in range(n)]


def test_a_sheet_past_the_row_limit_is_refused_by_name(tmp_path, policy, monkeypatch):
    monkeypatch.setattr(limits, "MAX_XLSX_ROWS", 50)
    path = _workbook(tmp_path / "e.xlsx", {"记录": _rows(60)})
    (d,) = problems(read_events, path, policy)
    assert d.code == "limit"
    assert "sheet `记录` has more than 50 rows" in d.message and "CSV" in d.hint


def test_a_sheet_at_the_row_limit_is_read(tmp_path, policy, monkeypatch):
    monkeypatch.setattr(limits, "MAX_XLSX_ROWS", 50)
    path = _workbook(tmp_path / "e.xlsx", {"s": _rows(49)})  # 1 header + 49 = 50 rows
    assert len(read_events(path, policy)) == 49


def test_a_stray_cell_far_away_is_refused_by_cells(tmp_path, policy, monkeypatch):
    """One cell at AZ100 makes calamine hold 100 x 52 slots: past a 1,000-cell limit."""
    monkeypatch.setattr(limits, "MAX_XLSX_CELLS", 1000)
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in _rows(3):
        ws.append(row)
    ws["AZ100"] = "x"
    path = tmp_path / "e.xlsx"
    wb.save(path)
    (d,) = problems(read_events, str(path), policy)
    assert d.code == "limit" and "100 rows by 52 columns" in d.message


def _bomb(path: Path, rows: int, numbered: bool = True, prefix: str = "") -> str:
    """A sheet written as its XML, `rows` rows long: deflate makes it tiny."""
    p = f"{prefix}:" if prefix else ""
    ns = f"xmlns{':' + prefix if prefix else ''}"
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxml'
            'formats-package.relationships+xml"/><Default Extension="xml" ContentType='
            '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="applicat'
            'ion/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override'
            ' PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlform'
            'ats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/pac'
            'kage/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlfo'
            'rmats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook'
            '.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="bomb" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/pac'
            'kage/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlfo'
            'rmats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet'
            '1.xml"/></Relationships>',
        )
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            f.write(f'<?xml version="1.0"?><{p}worksheet {ns}="{main}"><{p}sheetData>'.encode())
            cell = f'<{p}c t="inlineStr"><{p}is><{p}t>x</{p}t></{p}is></{p}c>'
            for n in range(1, rows + 1):
                attr = f' r="{n}"' if numbered else ""
                f.write(f"<{p}row{attr}>{cell}{cell}{cell}</{p}row>".encode())
            f.write(f"</{p}sheetData></{p}worksheet>".encode())
    return str(path)


@pytest.mark.parametrize("numbered,prefix", [(True, ""), (False, ""), (True, "x"), (False, "x")])
def test_rows_are_counted_however_the_sheet_is_written(tmp_path, numbered, prefix):
    path = _bomb(tmp_path / "b.xlsx", 3000, numbered, prefix)
    size = sheet_size(path, "bomb")
    assert size is not None and size.complete
    assert (size.rows, size.columns) == (3000, 26)


def test_a_row_bomb_is_refused_before_it_is_loaded(tmp_path, policy, monkeypatch):
    """200,000 rows (tens of KB zipped) against a 1,000-row limit: the scan stops at
    the limit, so the refusal costs a fraction of loading the sheet."""
    monkeypatch.setattr(limits, "MAX_XLSX_ROWS", 1000)
    path = _bomb(tmp_path / "b.xlsx", 200_000)
    assert Path(path).stat().st_size < 1_000_000
    (d,) = problems(read_events, path, policy)
    assert d.code == "limit" and "more than 1,000 rows" in d.message
    size = sheet_size(path, "bomb")
    assert not size.complete and size.rows < 200_000  # stopped early


def test_what_the_scan_cannot_read_is_left_to_calamine(tmp_path, policy):
    path = tmp_path / "e.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    assert sheet_size(str(path), "s") is None
    (d,) = problems(read_events, str(path), policy)
    assert d.code == "format" and "not a readable .xlsx" in d.message
