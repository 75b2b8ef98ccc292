"""The Python API: `engine` gives the functions of engine/api.py, and docs/api.md's
example runs as written (a doctest: every answer on that page is checked here)."""

from __future__ import annotations

import datetime as _dt
import doctest
import inspect
from pathlib import Path

import pytest

import engine
from engine import api
from engine.i18n import using

ROOT = Path(__file__).resolve().parent.parent


def test_engine_gives_the_api_functions_not_modules():
    assert set(engine._API) == set(api.__all__) - {"History"}
    for name in engine._API:
        value = getattr(engine, name)
        assert inspect.isfunction(value), name
        assert value is getattr(api, name)
        assert value.__doc__, f"{name} has no docstring"
    assert set(engine._API) <= set(engine.__all__)


def test_the_api_page_runs_as_written(monkeypatch):
    monkeypatch.chdir(ROOT)  # the page's paths are the repository's
    with using("en"):
        result = doctest.testfile(
            str(ROOT / "docs" / "api.md"),
            module_relative=False,
            optionflags=doctest.ELLIPSIS,
            verbose=False,
            report=True,
        )
    assert result.attempted >= 30
    assert result.failed == 0, f"{result.failed} of docs/api.md's examples failed (see above)"


def test_the_api_page_names_every_function():
    # the page's table is where a reader looks for what the API can do: a function
    # missing from it (the db_* and screen functions were) is one nobody finds
    page = (ROOT / "docs" / "api.md").read_text("utf-8")
    table = page.split("## A notebook's worth", 1)[0]
    missing = sorted(n for n in engine._API if f"`{n}(" not in table)
    assert not missing, f"docs/api.md's table does not name {missing}"


@pytest.mark.parametrize("quoted", [False, True])
def test_a_stream_left_for_the_whole_read_has_its_file_closed_first(tmp_path, monkeypatch, quoted):
    # a ledger out of date order is folded as a stream until its first late row, then
    # read whole (api._fold): the stream's file is closed before the file is read again,
    # not held open (with the first fold's states) until the function returns. Both CSV
    # readers: split at commas, and csv.reader (a quoted cell)
    from engine.ledger import tables

    # larger than a read of the file (1 MiB) and than a block of rows (4,096), the late
    # row in the first block: the stream is left with most of its file unread
    late = tmp_path / "late.csv"
    cell = '"C1"' if quoted else "C1"
    rows = [f"P{n % 1000},2024-03-0{1 + n // 40_000},{cell}" for n in range(80_000)]
    rows[100] = "P1,2024-02-01,C2"
    late.write_text("person,date,items\n" + "\n".join(rows) + "\n", "utf-8")
    assert late.stat().st_size > 1 << 20
    opened: list = []

    def tracked(*args, **kwargs):
        f = open(*args, **kwargs)  # noqa: SIM115 - the reader closes it
        opened.append(f)
        return f

    monkeypatch.setattr(tables, "open", tracked, raising=False)
    read_whole = api.read_ledger
    at_whole: list[list[bool]] = []

    def whole(*args, **kwargs):
        at_whole.append([f.closed for f in opened])
        return read_whole(*args, **kwargs)

    monkeypatch.setattr(api, "read_ledger", whole)
    outcome, known = api.explain_files(
        str(ROOT / "policies" / "jining.yaml"), str(late), None, _dt.date(2025, 12, 31), ["P1"]
    )
    assert len(known) == 1000 and [p.person for p in outcome.people] == ["P1"]
    assert len(at_whole) == 1 and at_whole[0], "the stream was not left for the whole read"
    assert all(at_whole[0]), "the stream's file was still open when the file was read again"
    assert all(f.closed for f in opened)
