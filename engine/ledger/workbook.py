"""How large an .xlsx sheet is, read from its XML as a stream before calamine loads it.

Why: calamine (python-calamine) has no row iterator that reads as it goes: opening a
sheet builds its whole used range in memory, one slot for every cell between the
first and the last, before our reader sees the first row. A 0.44 MB workbook that
expands to 3 million rows took 38 s and 1 GB that way before its row-2 error was
reported (issue 13 §14), and one cell written at XFD1048576 asks for 17 billion
slots. So the sheet's part of the zip is first decompressed as a stream and its
rows counted (and its widest column noted), in bounded memory, stopping as soon as
a limit is passed (engine/limits.py: MAX_XLSX_ROWS, MAX_XLSX_CELLS).

The scan is a safeguard, not a reader: anything it does not understand (not a zip,
a part it cannot find, an odd writer) lets calamine have the file, which then
says what is wrong with it. Rows are `<row>` elements (any namespace prefix) and
their `r` numbers; a cell's column is read from its `r="AB12"` reference only when
it has two letters or more, so a ledger of up to 26 columns costs one pass of a
compiled pattern over the text.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

from engine import limits

_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>]")
_R_NUMBER = re.compile(rb"[^>]*?\sr=\"(\d{1,9})\"")
_WIDE_CELL = re.compile(rb" r=\"([A-Z]{2,3})\d")
_AFTER_NAME = (b" ", b">", b"/", b"\t", b"\n", b"\r")
_CHUNK = 1 << 20
_SMALL_PART = 16 * 1024 * 1024  # workbook.xml and its relationships

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_STRICT = "{http://purl.oclc.org/ooxml/spreadsheetml/main}"
_REL_ID = (
    "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id",
    "{http://purl.oclc.org/ooxml/officeDocument/relationships}id",
)


@dataclass(frozen=True)
class Size:
    rows: int  # the last row's number (or the rows counted, if more)
    columns: int  # the widest column's number (at least 26 when none is wider)
    complete: bool  # False: the scan stopped at a limit, the sheet is larger still

    @property
    def cells(self) -> int:
        return self.rows * self.columns


def sheet_size(path: str, name: str) -> Size | None:
    """The size of the sheet `name` of the workbook at `path`, counted up to the
    limits; None when the workbook is not one this scan reads (calamine decides)."""
    try:
        with zipfile.ZipFile(path) as z:
            part = _sheet_part(z, name)
            if part is None:
                return None
            with z.open(part) as f:
                return _scan(f)
    except (OSError, zipfile.BadZipFile, ElementTree.ParseError, KeyError, RuntimeError):
        return None  # (RuntimeError: an encrypted entry; zlib errors are OSErrors)
    except Exception:  # noqa: BLE001 - zlib.error and the like: calamine will say
        return None


def too_large(size: Size) -> bool:
    """Past the rows, or past the cells when a column beyond Z was seen (a sheet of
    26 columns or fewer is bounded by its rows: 27 million slots at most)."""
    if size.rows > limits.MAX_XLSX_ROWS:
        return True
    return size.columns > 26 and size.cells > limits.MAX_XLSX_CELLS


def _scan(f) -> Size:
    """Bytes are counted with `bytes.count` and `rfind` (a pattern without a literal
    start walks every byte in Python's `re`: 5 times slower on a large sheet)."""
    rows = counted = 0
    widest = 26  # columns A to Z are not looked at one by one
    rest = b""
    tag = None  # b"<row", or b"<x:row" when the sheet's XML uses a prefix
    while True:
        chunk = f.read(_CHUNK)
        text = rest + chunk
        # up to the last `>`: every tag looked at lies whole in one piece
        cut = len(text) if not chunk else text.rfind(b">") + 1
        if chunk and cut == 0 and len(text) < _CHUNK * 4:
            rest = text
            continue
        piece, rest = (text[:cut], text[cut:]) if cut else (text, b"")
        if tag is None:
            root = _ROOT.search(piece)
            if root is None:
                rest = text if chunk else b""
                if not chunk:
                    return Size(0, widest, True)
                continue
            tag = b"<" + (root.group(1) or b"") + b"row"
        counted += sum(piece.count(tag + c) for c in _AFTER_NAME)
        rows = max(rows, _last_number(piece, tag))  # rows come in order
        for letters in set(_WIDE_CELL.findall(piece)):
            widest = max(widest, _column(letters))
        size = Size(max(rows, counted), widest, not chunk)
        if not chunk or too_large(size):
            return size


def _last_number(piece: bytes, tag: bytes) -> int:
    """The `r` number of the last row element that starts in `piece` (0: none)."""
    end = len(piece)
    while (at := piece.rfind(tag, 0, end)) >= 0:
        after = piece[at + len(tag) : at + len(tag) + 1]
        if after in _AFTER_NAME:  # not <rowBreaks>
            m = _R_NUMBER.match(piece, at + len(tag))
            return int(m.group(1)) if m else 0
        end = at
    return 0


def _column(letters: bytes) -> int:
    n = 0
    for c in letters:
        n = n * 26 + (c - 64)
    return n


def _sheet_part(z: zipfile.ZipFile, name: str) -> str | None:
    """The zip member holding the sheet called `name`: workbook.xml names it and gives
    its relationship id, the workbook's relationships give the part."""
    book = _small_part(z, "xl/workbook.xml")
    rels = _small_part(z, "xl/_rels/workbook.xml.rels")
    if book is None or rels is None:
        return None
    rel = None
    for tag in (_MAIN, _STRICT):
        for sheet in ElementTree.fromstring(book).iter(f"{tag}sheet"):
            if sheet.get("name") == name:
                rel = next((sheet.get(k) for k in _REL_ID if sheet.get(k)), None)
    if rel is None:
        return None
    for r in ElementTree.fromstring(rels):
        if r.get("Id") == rel:
            target = r.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            part = posixpath.normpath(part)
            return part if part in z.NameToInfo else None
    return None


def _small_part(z: zipfile.ZipFile, member: str) -> bytes | None:
    if member not in z.NameToInfo:
        return None
    with z.open(member) as f:
        data = f.read(_SMALL_PART + 1)
    return data if len(data) <= _SMALL_PART else None
