"""Reading CSV files a block at a time (tables.py): the same table as reading the text
whole, wherever the blocks happen to be cut."""

from __future__ import annotations

import codecs
import os
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine.errors import LedgerError
from engine.ledger import tables
from engine.ledger.tables import Problems, Stop, bulk, open_table


def whole(data: bytes, encoding: str | None):
    """The table as read from the whole text, the way standard input is read."""
    return _read(
        lambda problems: tables._csv_table(tables._decode(data, encoding, problems), problems)
    )


def streamed(path: Path, encoding: str | None):
    return _read(lambda problems: open_table(str(path), encoding, problems))


def _read(make):
    """(header, header line, count, rows) of the table `make` opens, or None where it
    stops, with the problems found as (code, message, line)."""
    problems = Problems("f.csv", 50)

    def found():
        return [(d.code, d.message, d.span.line) for d in problems.items]

    try:
        with bulk():
            table = make(problems)
            rows = list(table.rows)
    except (LedgerError, Stop):
        return None, found()
    return (table.header, table.header_line, table.count, rows), found()


# pieces of a CSV file: plain cells, separators, quotes, every kind of line break,
# Chinese text (two bytes in GB18030, three in UTF-8), blanks, and bytes no encoding reads
PIECES = st.sampled_from(
    [
        "a",
        "id",
        "P1",
        ",",
        ",",
        " ",
        "\t",
        '"',
        "\n",
        "\n",
        "\r\n",
        "\r",
        "医保",
        "扣分",
        "\ufeff",
        b"\xff",
        b"\x80",
        b"\x81\x30",
    ]
)


@settings(max_examples=400, deadline=None)
# found by this test: 医保 in GB18030 opens with two valid UTF-8 characters (the whole
# text was "mixed encodings" at that line, the streamed one read it); a UTF-8 BOM, a
# line, then a byte no encoding reads (the streamed reader told of a UTF-8 line amid
# GB18030 before reaching the byte; the whole text, of the byte)
@example(["医保"], "gb18030", False, False, 1, 2)
@example(["a", "\n", b"\xff"], "utf-8", True, False, 1, 2)
@given(
    pieces=st.lists(PIECES, max_size=60),
    encoding=st.sampled_from(["utf-8", "gb18030", "utf-8-sig", "gbk", "big5"]),
    bom=st.booleans(),
    given_encoding=st.booleans(),
    block=st.integers(1, 9),
    cell=st.integers(2, 12),
)
# a UTF-8 BOM read as GB18030 made line 1 look UTF-8 before the bad byte was met
@example(
    pieces=["a", "\n", b"\xff"], encoding="utf-8", bom=True, given_encoding=False, block=1, cell=2
)
def test_streamed_reads_as_the_whole_text(pieces, encoding, bom, given_encoding, block, cell):
    # (b"\x81\x30" begins a four-byte GB18030 character that never ends)
    data = b"".join(
        p if isinstance(p, bytes) else p.encode(encoding, errors="replace") for p in pieces
    )
    if bom and encoding.startswith("utf-8"):
        data = codecs.BOM_UTF8 + data
    name = encoding if given_encoding or encoding not in ("utf-8", "gb18030") else None
    with pytest.MonkeyPatch.context() as mp, tempfile.TemporaryDirectory() as tmp:
        mp.setattr(tables, "_READ", block)  # blocks of a few bytes: every cut is tried
        mp.setattr(tables, "MAX_CELL", cell)
        path = Path(tmp) / "f.csv"
        path.write_bytes(data)
        assert streamed(path, name) == whole(data, name)


def test_a_character_cut_between_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "_READ", 4)
    path = tmp_path / "e.csv"
    path.write_bytes("person,备注\r\nP1,医保医师\r\n".encode("gb18030"))
    problems = Problems("e.csv", 50)
    table = open_table(str(path), None, problems)
    assert table.header == ["person", "备注"] and table.count == 1
    assert list(table.rows) == [(2, ["P1", "医保医师"])]


def test_an_undecodable_byte_is_named_by_its_place_in_the_file(tmp_path, monkeypatch):
    # the \xff is the file's 20th byte, on line 3, in the 5th block of 4 bytes
    monkeypatch.setattr(tables, "_READ", 4)
    path = tmp_path / "e.csv"
    path.write_bytes(b"person,date\nP1,x\nP2\xff,y\n")
    problems = Problems("e.csv", 50)
    with pytest.raises(LedgerError) as err:
        open_table(str(path), None, problems)
    (d,) = err.value.diagnostics
    assert (d.code, d.span.line) == ("encoding", 3)
    assert d.message == "the file is not valid utf-8 or gb18030 (byte 20)"


def test_a_utf8_bom_counts_in_the_position(tmp_path):
    data = codecs.BOM_UTF8 + b"person\n\xff\n"  # the \xff is byte 11
    path = tmp_path / "e.csv"
    path.write_bytes(data)
    for read in (
        lambda: open_table(str(path), None, Problems("e.csv", 5)),
        lambda: tables._decode(data, None, Problems("e.csv", 5)),
    ):
        with pytest.raises(LedgerError) as err:
            read()
        assert "(byte 11)" in err.value.diagnostics[0].message


def test_rows_are_read_when_asked_for_not_when_the_table_is_made(tmp_path):
    # Making the table must not leave the file open at a position: each reader of
    # its rows reads the file itself.
    path = tmp_path / "e.csv"
    path.write_text("person,date\nP1,2024-01-01\nP2,2024-01-02\n")
    first = open_table(str(path), None, Problems("e.csv", 5))
    second = open_table(str(path), None, Problems("e.csv", 5))
    a, b = first.rows, second.rows
    assert next(a) == (2, ["P1", "2024-01-01"])
    assert list(b) == [(2, ["P1", "2024-01-01"]), (3, ["P2", "2024-01-02"])]
    assert list(a) == [(3, ["P2", "2024-01-02"])]


def test_quoted_rows_are_read_again_from_the_file(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text('\n"person",note\r\nP1,"two\r\nlines"\r\nP2,x\r\n', newline="")
    table = open_table(str(path), None, Problems("e.csv", 5))
    assert (table.header, table.header_line) == (["person", "note"], 2)
    assert list(table.rows) == [(3, ["P1", "two\nlines"]), (5, ["P2", "x"])]


@pytest.mark.parametrize(
    "before, after",
    [
        (b"person,date\nP1,2024-01-01\n", b"person,date\nP1,2024\xff-01-01\n"),  # not UTF-8 now
        (b"person,date\nP1,2024-01-01\n", b'person,date\nP1,"2024-01-01,x"\nP2,2024-01-02\n'),
        (b'person,"date"\n\nP1,2024-01-01\n', b""),  # quoted, then emptied
        (b'person,"date"\nP1,2024-01-01\n', b"x\n"),
        (b"person,date\nP1,2024-01-01\n", None),  # gone
    ],
)
def test_a_file_changed_between_the_passes_is_a_problem_not_a_misreading(tmp_path, before, after):
    # the rows are read from the file again after the first pass (and in each process of a
    # split fold): a file written to in between is reported, never read as something else
    path = tmp_path / "e.csv"
    path.write_bytes(before)
    problems = Problems("e.csv", 50)
    table = open_table(str(path), None, problems)
    if after is None:
        path.unlink()
    else:
        path.write_bytes(after)
    with pytest.raises(Stop):
        list(table.rows)
    (d,) = problems.items
    assert d.code == "io"
    assert "changed while it was being read" in d.message or "no such file" in d.message


def test_a_pipe_is_read_whole_once(tmp_path):
    # `--events <(...)`, a FIFO, /dev/stdin from a pipe: not a regular file, so read whole
    # like standard input rather than scanned and read again
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    fifo = tmp_path / "f.csv"
    os.mkfifo(fifo)
    assert not tables.rereadable(str(fifo)) and tables.rereadable(__file__)

    def write() -> None:
        with open(fifo, "w") as f:
            f.write("person,date\nP1,2024-01-01\n")

    writer = threading.Thread(target=write)
    writer.start()
    table = open_table(str(fifo), None, Problems("f.csv", 5))
    assert list(table.rows) == [(2, ["P1", "2024-01-01"])]
    writer.join()
