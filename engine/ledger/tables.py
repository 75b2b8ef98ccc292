"""Stage "read", its file formats: a file's bytes -> a header and rows of text cells.

Input: a path (or `-` for standard input) and an optional encoding; output: a
`Table`, the file's header and its data rows as `(line, cells)`, every cell a
string as a CSV would hold it. What the cells mean is `read.py`'s business;
this module only reads them, and reports what it cannot read in a `Problems`,
the collector of one file's `Diagnostic`s (up to a limit: one more raises
`Stop`, which the reader turns into the error):

- formats are chosen by extension: `.xlsx` (first sheet), `.jsonl` /
  `.ndjson` (one JSON object per line), `.parquet` (row N of the file is
  "line" N + 1, the header line 1), anything else CSV; `-` is standard
  input, read as CSV and named `<stdin>` in messages;
- CSV text is UTF-8 (with or without a BOM) or, failing that, GB18030, the
  encoding Excel uses for "CSV" on Chinese Windows; UTF-16 with a BOM (Excel's
  "Unicode text") is read as such; an explicit `encoding` overrides all these;
- header names are stripped and lower-cased, trailing unnamed columns
  dropped; an unnamed or repeated name is an error; blank rows are yielded
  and left to the caller to skip; a cell longer than `MAX_CELL` is an error;
- spreadsheet and JSON values become the text a CSV would hold (`_cell`):
  whole floats without `.0`, midnight datetimes as dates.

Lines are physical lines for CSV (a quoted cell spanning lines counts them
all; a row is reported at its first line), sheet rows for xlsx, lines for
JSONL. When CSV text has no quote and no lone carriage return, a record is a
line split on commas: the cells `csv.reader` would give, about twice as fast,
split a block of lines at a time so the lines are never all held at once.
A CSV file is not held whole either: a first pass over its bytes settles the
encoding and counts its lines, and its rows are decoded a block at a time as
they are read (see "CSV files, streamed" below). Standard input, JSONL and
xlsx are read whole. `bulk` pauses the garbage collector while a file is
read and its rows are built.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as _dt
import gc
import io
import json
import os
import re
import stat
import sys
from collections.abc import Iterator, Sequence
from itertools import chain, repeat
from itertools import count as _count
from pathlib import Path

from engine.errors import Diagnostic, LedgerError, Span, os_reason
from engine.i18n import _
from engine.limits import MAX_LEDGER_BYTES, MAX_LEDGER_LINE, size_text

MAX_CELL = 1000  # characters in one cell
# Control characters no cell may hold (tab, line feed and carriage return may): a NUL
# or an escape inside a code makes two codes that print alike but never match.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# every byte but those: `block.translate(None, _NOT_CONTROL)` keeps only control bytes,
# at C speed (the regex alone, searching every block, cost 4 times the first pass)
_NOT_CONTROL = bytes(b for b in range(256) if not _CONTROL_BYTES.match(bytes([b])))
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
STDIN = "-"
STDIN_NAME = "<stdin>"
# GB18030 text that happens to be valid UTF-8 (医师 is D2BD CAA6, `ҽʦ` in UTF-8): no
# character beyond U+07FF (no CJK at all: no lead byte E0-FF), some beyond Latin (a lead
# byte CA-DF: IPA, Greek, Cyrillic, Hebrew...; a no-break space or `José` is not
# evidence), in a file that as GB18030 is Chinese throughout
_UNLATIN = re.compile("[\u0080-\u07ff]*[\u0280-\u07ff][\u0080-\u07ff]*")
_LONGER_LEAD = re.compile(rb"[\xe0-\xff]")  # in valid UTF-8: a character beyond U+07FF
_UNLATIN_LEAD = re.compile(rb"[\xca-\xdf]")  # in valid UTF-8: U+0280 to U+07FF
_NOT_CHINESE = re.compile(
    "[^\x00-\x7f\u2000-\u206f\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]"
)


# ---- problems ------------------------------------------------------------------------------


class Stop(Exception):
    """Raised inside a reader when the problem limit is reached."""


class Problems:
    """Diagnostics of one file, up to a limit; one more and reading stops."""

    def __init__(self, file: str, limit: int):
        self.file = file
        self.limit = max(1, limit)
        self.items: list[Diagnostic] = []

    def add(self, code: str, message: str, line: int = 0, hint: str | None = None) -> None:
        if len(self.items) >= self.limit:
            self.items.append(
                Diagnostic(
                    "limit",
                    _("too many problems; stopping after {n}").format(n=self.limit),
                    Span(self.file, line),
                    _("fix these and run again"),
                )
            )
            raise Stop
        self.items.append(Diagnostic(code, message, Span(self.file, line), hint))

    def fail(self, code: str, message: str, line: int = 0, hint: str | None = None):
        """Add a problem that ends reading the file at once."""
        with contextlib.suppress(Stop):
            self.add(code, message, line, hint)
        return LedgerError(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise self.error()

    def error(self) -> LedgerError:
        """All problems, in line order (the stop notice, if any, last)."""
        items = self.items
        tail = [items.pop()] if items and items[-1].code == "limit" else []
        items.sort(key=lambda d: d.span.line if d.span else 0)
        return LedgerError(items + tail)


@contextlib.contextmanager
def bulk():
    """Pause the collector and bound CSV cells while a file is read.

    A million rows allocate a million objects the collector would otherwise walk
    again and again as the list grows. With it paused they all sit in the youngest
    generation, and the first collection afterwards would walk them all once more;
    `freeze` + `unfreeze` moves them (and everything else alive) straight to the
    oldest generation instead, which is where long-lived rows end up anyway. Skipped
    if the caller has frozen objects of its own.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    old_limit = csv.field_size_limit(MAX_CELL)
    try:
        yield
    finally:
        csv.field_size_limit(old_limit)
        if not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
        if was_enabled:
            gc.enable()


# ---- tables: any format -> header + rows ---------------------------------------------------


class Table:
    """A file's header and its data rows.

    `rows` yields `(line, cells)` for each record after the header: the record's first
    physical line (CSV), sheet row (xlsx) or line (JSONL). Rows that could not be read
    are reported while reading and not yielded; blank rows are yielded (as `[]` or empty
    cells) and skipped by the caller.
    """

    __slots__ = ("file", "header", "header_line", "rows", "count", "colons", "cells")

    def __init__(
        self,
        file: str,
        header: list[str],
        header_line: int,
        rows,
        count=None,
        colons: bool = True,
        cells: int | None = None,
    ):
        self.file = file
        # CSV only: the header line's cell count, trailing unnamed ones included. Every
        # row must have as many (a comma inside an unquoted cell makes one more); None
        # for formats whose cells cannot slide (xlsx, JSON Lines).
        self.cells = cells
        self.header = header
        self.header_line = header_line
        self.rows = rows
        self.count = count  # the number of rows, when known before reading them
        # False when no cell can hold a ":" (found so before the rows are read): no id
        # is then shaped like the `file:line` a row without one is given (read.py)
        self.colons = colons


def display(path: str) -> str:
    return STDIN_NAME if path == STDIN else path


def rereadable(path: str) -> bool:
    """Whether a file can be read more than once: a regular file, not standard input,
    a pipe (`<(...)`, `/dev/stdin`) or a FIFO, which are read whole, once."""
    try:
        return path != STDIN and stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _read_bytes(path: str, problems: Problems, wide: bool = False) -> bytes:
    """A file read whole, up to MAX_LEDGER_BYTES; reading stops at the first control
    byte (so `/dev/zero` costs one block, not memory), unless the text is `wide`
    (UTF-16 or UTF-32, whose ASCII characters hold NUL bytes)."""
    if path == STDIN:
        stdin = getattr(sys.stdin, "buffer", None)
        if stdin is None:
            raise problems.fail(
                "io", _("standard input is closed"), hint=_("give the ledger's path instead of -")
            )
        return _bounded_read(stdin, path, problems, wide)
    with _open(path, problems) as f:
        return _bounded_read(f, path, problems, wide)


def _bounded_read(f, path: str, problems: Problems, wide: bool) -> bytes:
    chunks: list[bytes] = []
    size = 0
    newlines = 0
    try:
        while block := f.read(_READ):
            if not chunks and block.startswith((b"\xff\xfe", b"\xfe\xff")):
                wide = True  # a UTF-16 BOM
            m = None
            if not wide and block.translate(None, _NOT_CONTROL):
                m = _CONTROL_BYTES.search(block)
            if m is not None:
                line = newlines + block.count(b"\n", 0, m.start()) + 1
                raise _control_error(m.group()[0], line, problems)
            size += len(block)
            if size > MAX_LEDGER_BYTES:
                raise problems.fail(
                    "limit",
                    _("`{path}` is larger than {limit}").format(
                        path=display(path), limit=size_text(MAX_LEDGER_BYTES)
                    ),
                    hint=_("split it, or save it as a CSV file, which is read as it goes"),
                )
            newlines += block.count(b"\n")
            chunks.append(block)
    except OSError as exc:
        raise _io_error(display(path), exc, problems) from None
    except ValueError:  # a closed file
        message = _("cannot read `{path}`: it is closed").format(path=display(path))
        raise problems.fail("io", message) from None
    return b"".join(chunks)


def _control_error(code: int, line: int, problems: Problems) -> LedgerError:
    hint = (
        # NUL bytes between the letters: UTF-16 saved without its byte-order mark, far
        # likelier in a ledger than a NUL typed into a cell
        _("a NUL byte: the file looks like UTF-16 without a byte-order mark; save it as "
          "UTF-8, or give --encoding utf-16-le")
        if code == 0
        else _("remove it: codes and dates are plain text")
    )  # fmt: skip
    return problems.fail(
        "format",
        _("line {line} holds the control character U+{code:04X}").format(line=line, code=code),
        line,
        hint,
    )


def _open(path: str, problems: Problems):
    """The file opened for reading bytes, or the `io` problem that says why not."""
    try:
        return open(path, "rb")  # noqa: SIM115 - the caller closes it
    except OSError as exc:
        raise _io_error(path, exc, problems) from None


def _io_error(path: str, exc: OSError, problems: Problems) -> LedgerError:
    if isinstance(exc, FileNotFoundError):
        return problems.fail(
            "io",
            _("cannot read `{path}`: no such file").format(path=path),
            hint=_("check the path"),
        )
    if isinstance(exc, IsADirectoryError):
        return problems.fail("io", _("cannot read `{path}`: it is a directory").format(path=path))
    reason = os_reason(exc)
    return problems.fail("io", _("cannot read `{path}`: {reason}").format(path=path, reason=reason))


def _codec(encoding: str, problems: Problems) -> str:
    """The codec's own name for an encoding given by the user, or an `encoding` problem."""
    try:
        info = codecs.lookup(encoding)
        if not getattr(info, "_is_text_encoding", True):  # rot13, base64: not for bytes
            raise LookupError(encoding)
        return info.name
    except LookupError:
        raise problems.fail(
            "encoding",
            _("unknown encoding `{encoding}`").format(encoding=encoding),
            hint=_("try utf-8 or gb18030"),
        ) from None


def _decode(data: bytes, encoding: str | None, problems: Problems) -> str:
    if encoding:
        # UTF-8 with or without "-sig" alike: a BOM decoded as a character, so that an
        # error's position counts it, and dropped below, once
        name = _codec(encoding, problems)
        try:
            text = data.decode("utf-8" if name == "utf-8-sig" else name)
        except UnicodeDecodeError as exc:
            raise _decode_error(data, exc, encoding, problems) from None
        return text[1:] if text.startswith("\ufeff") else text
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" is UTF-16
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _decode_error(data, exc, "utf-16", problems) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
        start = exc.start + bom
        # the lines before the error's: GB18030 text may open its line with characters
        # that happen to be valid UTF-8 (医师 is D2BD CAA6), so its own line does not count
        if not data[bom : data.rfind(b"\n", 0, start) + 1].isascii():
            raise _mixed_error(data.count(b"\n", 0, start) + 1, "UTF-8", problems) from None
        try:
            text = data.decode("gb18030")
            line = _utf8_line(data.split(b"\n"))
            if line:
                raise _mixed_error(line, "GB18030", problems) from None
            return text[1:] if text.startswith("\ufeff") else text
        except UnicodeDecodeError:
            if data.startswith(codecs.BOM_UTF8):  # its position counts from after the BOM
                exc.start += len(codecs.BOM_UTF8)
            raise _decode_error(data, exc, _("utf-8 or gb18030"), problems) from None
    m = None if data.startswith(codecs.BOM_UTF8) else _UNLATIN.search(text)
    if m is not None and maybe_gb18030(data):
        raise _ambiguous_error(m.group(), text.count("\n", 0, m.start()) + 1, problems)
    return text


def maybe_gb18030(data: bytes) -> bool:
    """Whether bytes valid as UTF-8 may as well be GB18030: no BOM, no character beyond
    U+07FF (no CJK), some beyond Latin, and Chinese when read as GB18030 (_UNLATIN)."""
    if data.isascii() or data.startswith(codecs.BOM_UTF8) or _LONGER_LEAD.search(data):
        return False
    if not _UNLATIN_LEAD.search(data):
        return False
    return _chinese_as_gb18030([data])


class Gb18030Suspect:
    """maybe_gb18030 for a file read a block at a time (the columnar engine's CSV):
    `see` each block, then `confirmed` reads the file as GB18030 only where its blocks
    held no character beyond U+07FF and some beyond Latin."""

    __slots__ = ("possible", "evidence")

    def __init__(self, bom: bool):
        self.possible = not bom  # a UTF-8 BOM settles it
        self.evidence = False

    def see(self, block: bytes) -> None:
        if self.possible and not block.isascii():
            if _LONGER_LEAD.search(block):
                self.possible = False  # CJK as UTF-8 (or not UTF-8 at all: Arrow says so)
            elif not self.evidence and _UNLATIN_LEAD.search(block):
                self.evidence = True

    def confirmed(self, path: str) -> bool:
        if not (self.possible and self.evidence):
            return False
        with open(path, "rb") as f:
            return _chinese_as_gb18030(iter(lambda: f.read(_READ), b""))


def _chinese_as_gb18030(blocks) -> bool:
    """Whether these bytes, read as GB18030, are Chinese and ASCII only."""
    decoder = codecs.getincrementaldecoder("gb18030")()
    try:
        for block in chain(blocks, [b""]):
            if _NOT_CHINESE.search(decoder.decode(block, not block)):
                return False
    except UnicodeDecodeError:
        return False
    return True


def _ambiguous_error(sample: str, line: int, problems: Problems) -> LedgerError:
    """A file valid as UTF-8 whose characters, so read, are GB18030's Chinese: which of
    the two it is only the person who saved it knows (a silent guess could misread every
    code in it)."""
    chinese = sample.encode("utf-8").decode("gb18030", "replace")
    return problems.fail(
        "encoding",
        _(
            "line {line} reads as UTF-8 only as `{utf8}`, which in GB18030 is `{gb}`: "
            "the file's encoding cannot be told"
        ).format(line=line, utf8=sample[:20], gb=chinese[:20]),
        line,
        _("give it with --encoding gb18030 (Excel's CSV on Chinese Windows) or --encoding utf-8"),
    )


def _ascii(data: bytes, start: int, bom: int) -> bool:
    """Whether these bytes, found at `start` in a file whose first `bom` bytes are a
    UTF-8 BOM (which does not count), are ASCII."""
    if start < bom:
        data = data[bom - start :]
    return data.isascii()


def _utf8_line(lines: list[bytes], first: int = 1) -> int:
    """The number of the first of these lines (numbered from `first`) that is UTF-8 with
    characters beyond ASCII: in a file read as GB18030, a line from another source.
    (GB18030 text is almost never valid UTF-8 as well: its double bytes do not follow
    UTF-8's pattern of lead and continuation bytes.)"""
    for n, raw in enumerate(lines, first):
        if not raw.isascii():
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            return n
    return 0


def _mixed_error(line: int, found: str, problems: Problems) -> LedgerError:
    """A file whose lines are in two encodings (two files joined, say)."""
    if found == "UTF-8":
        message = _(
            "line {line} is not UTF-8, though the lines before it are: the file mixes encodings"
        )
    else:
        message = _(
            "line {line} is UTF-8, though the lines before it are GB18030: the file mixes encodings"
        )
    return problems.fail(
        "encoding",
        message.format(line=line),
        line,
        _("save the whole file in one encoding (UTF-8), or give it with --encoding"),
    )


def _decode_error(data: bytes, exc: UnicodeDecodeError, encoding: str, problems: Problems):
    line = data.count(b"\n", 0, exc.start) + 1
    return problems.fail(
        "encoding",
        _("the file is not valid {encoding} (byte {byte})").format(
            encoding=encoding, byte=exc.start + 1
        ),
        line,
        _("save it as UTF-8, or give its encoding with --encoding"),
    )


def _header(names: list, line: int, problems: Problems) -> list[str]:
    """Stripped, lower-cased names; trailing unnamed columns dropped; no duplicates."""
    header = [("" if n is None else str(n)).strip().lower() for n in names]
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0].lstrip("\ufeff").strip()
    while header and not header[-1]:
        header.pop()
    seen: set[str] = set()
    for i, name in enumerate(header):
        if not name:
            raise problems.fail(
                "column",
                _("column {n} of the header has no name").format(n=i + 1),
                line,
                _("name every column, or delete the empty one"),
            )
        if name in seen:
            raise problems.fail(
                "column", _("column `{name}` appears twice in the header").format(name=name), line
            )
        seen.add(name)
    return header


def open_table(
    path: str, encoding: str | None, problems: Problems, sheet: str | int | None = None
) -> Table:
    """The file's table: by its extension, `.xlsx` (the `sheet` named or numbered from
    1, else the first), `.jsonl`/`.ndjson`, else CSV."""
    suffix = "" if path == STDIN else Path(path).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_table(path, problems, sheet)
    if sheet is not None:
        # never read one file while the user believes another sheet was read
        raise problems.fail(
            "sheet",
            _("--sheet names a sheet of an .xlsx workbook, and this file is not one"),
            hint=_("leave out --sheet, or give the workbook itself"),
        )
    if suffix == ".parquet":
        return _parquet_table(path, problems)
    if suffix not in (".jsonl", ".ndjson") and rereadable(path):
        scan = _scan(path, encoding, problems)
        if scan is not None:
            return _csv_file_table(scan, problems)
    wide = bool(encoding) and _codec(encoding, problems).startswith(("utf-16", "utf-32"))
    text = _decode(_read_bytes(path, problems, wide), encoding, problems)
    m = _CONTROL.search(text)
    if m is not None:
        raise _control_error(ord(m.group()), text.count("\n", 0, m.start()) + 1, problems)
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl_table(text, problems)
    return _csv_table(text, problems)


def _csv_table(text: str, problems: Problems) -> Table:
    file = problems.file
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if '"' not in text and "\r" not in text:
        # No quoting anywhere: a record is a line and a cell is what lies between commas,
        # exactly as csv.reader would read it, but about twice as fast.
        pos, line = 0, 1
        while pos <= len(text):
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            first = text[pos:end]
            if first.strip(", \t"):
                if len(first) > MAX_CELL:
                    break  # let csv report it
                names = first.split(",")
                header = _header(names, line, problems)
                rest = end + 1
                count = text.count("\n", rest) + (0 if text.endswith("\n") else 1)
                return Table(
                    file,
                    header,
                    line,
                    _split_lines(text, rest, line + 1, problems),
                    count if rest < len(text) else 0,
                    cells=len(names),
                )
            pos, line = end + 1, line + 1
        else:
            raise problems.fail(
                "empty", _("the file is empty"), 1, hint=_("the first row is the header")
            )
    reader = csv.reader(io.StringIO(text, newline=""))
    header, cells = _reader_header(reader, problems)
    return Table(file, header, reader.line_num, _csv_rows(reader, problems), cells=cells)


def _reader_header(reader, problems: Problems) -> tuple[list[str], int]:
    """The header csv.reader reads first (the first row with a cell that is not
    blank) and its number of cells; the file's problem when there is none."""
    try:
        for row in reader:
            if any(c.strip() for c in row):
                return _header(row, reader.line_num, problems), len(row)
    except csv.Error as exc:
        raise problems.fail(
            "format",
            _("cannot read the header: {reason}").format(reason=_csv_message(exc)),
            reader.line_num,
        ) from None
    raise problems.fail("empty", _("the file is empty"), 1, _("the first row is the header"))


def _csv_rows(reader, problems: Problems) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) of each record; a record csv cannot read is reported."""
    prev = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            prev = reader.line_num
            problems.add("format", _csv_message(exc), prev)
            continue
        yield prev + 1, row
        prev = reader.line_num


def _split_lines(
    text: str, pos: int, line: int, problems: Problems
) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of each line of `text` from `pos`, split at commas."""
    return _split_blocks(_text_blocks(text, pos), line, problems)


def _text_blocks(text: str, pos: int) -> Iterator[list[str]]:
    """The lines of `text` from `pos`, a block at a time, so that a large file's lines
    are never all held as strings at once (the text itself is)."""
    size = len(text)
    while pos < size:
        end = text.find("\n", pos + _BLOCK)
        if end < 0:  # the last block: its last line ends at the text's last newline
            end = size - 1 if text.endswith("\n") else size
        yield text[pos:end].split("\n")
        pos = end + 1


def _split_blocks(
    blocks: Iterator[list[str]], line: int, problems: Problems
) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of each line of each block, numbered from `line`, split at
    commas. A line longer than a cell may be is reported and read as blank, as csv
    would refuse it.

    The rows are chained from each block's iterator by C, not yielded one by one from
    a generator: a million rows, a million fewer resumptions of a Python frame."""
    return chain.from_iterable(_split_each(blocks, line, problems))


def _split_each(
    blocks: Iterator[list[str]], line: int, problems: Problems
) -> Iterator[Iterator[tuple[int, list[str]]]]:
    for lines in blocks:
        if max(map(len, lines)) > MAX_CELL:
            yield _bounded([ln.split(",") for ln in lines], line, problems)
        else:
            yield zip(_count(line), map(str.split, lines, repeat(",")))
        line += len(lines)


_BLOCK = 1 << 20  # characters of text split into lines at a time


# ---- CSV files, streamed -------------------------------------------------------------------
#
# A CSV file (a regular file: not standard input, nor a pipe) is read twice and never
# held whole: a first pass over its bytes (`_scan`) settles the encoding, counts the
# lines and looks for quotes; the rows are then decoded and split a block at a time as
# they are read. This keeps memory to the rows in hand rather than the file's text (a
# million-row ledger is 50 MB or more of text). The rows' file is opened when they are
# first read, not when the table is made, so each reader of a table reads its own.

_READ = 1 << 20  # bytes read at a time
# Encodings in which the bytes of a newline, carriage return, comma and double quote
# are always those characters and never part of another, so the first pass can look
# for them in the bytes: ASCII's supersets, the Chinese double-byte ones included.
_STREAMED = frozenset(
    {
        "utf-8",
        "utf-8-sig",
        "gb18030",
        "gbk",
        "gb2312",
        "cp936",
        "big5",
        "ascii",
        "iso8859-1",
        "cp1252",
    }
)


class _Scan:
    """What the first pass over a CSV file's bytes found."""

    __slots__ = (
        "path",
        "codec",
        "newlines",
        "last",
        "quoted",
        "colons",
        "crlf",
        "lone_cr",
        "stamp",
        "problems",
    )

    def __init__(self, path: str, codec: str):
        self.path = path
        self.stamp: tuple = ()  # size, time, inode: the file read later must be this one
        self.problems: Problems | None = None  # where the later reads report
        self.codec = codec  # the decoder that reads the whole file without error
        self.newlines = 0
        self.last = b""  # the file's last byte
        self.quoted = False  # a double quote somewhere
        self.colons = False  # a colon somewhere
        self.crlf = False  # a carriage return before a newline somewhere
        self.lone_cr = False  # a carriage return not before a newline


def _scan(path: str, encoding: str | None, problems: Problems) -> _Scan | None:
    """The first pass over a CSV file; None when it is to be read whole instead (UTF-16,
    or an encoding whose multi-byte characters may hold a newline's or a quote's byte).

    The encoding is decided here, as `_decode` would for the whole text: the one given,
    else UTF-8 (with or without a BOM), else GB18030; a file valid in none is an
    `encoding` problem at the first byte UTF-8 could not read.
    """
    if encoding:
        name = _codec(encoding, problems)
        if name not in _STREAMED:
            return None
        tries, shown = ["utf-8-sig" if name.startswith("utf-8") else name], encoding
    else:
        tries, shown = ["utf-8-sig", "gb18030"], _("utf-8 or gb18030")
    with _open(path, problems) as f:
        try:
            if not encoding and f.read(2) in (b"\xff\xfe", b"\xfe\xff"):
                return None  # UTF-16 with a BOM: Excel's "Unicode text"
            failed = None
            for codec in tries:
                f.seek(0)
                found = _scan_as(path, f, codec, mixed=not encoding)
                if isinstance(found, _Scan):
                    found.stamp, found.problems = _stamp(f.fileno()), problems
                    return found
                if found[0] != "decode":  # mixed encodings, a control character
                    failed = found
                    break
                failed = failed or found
        except OSError as exc:
            raise _io_error(path, exc, problems) from None
    kind, byte, line = failed
    if kind == "ambiguous":
        raise _ambiguous_error(byte, line, problems)
    if kind == "mixed":
        raise _mixed_error(line, byte, problems)
    if kind == "control":
        raise _control_error(byte, line, problems)
    raise problems.fail(
        "encoding",
        _("the file is not valid {encoding} (byte {byte})").format(encoding=shown, byte=byte),
        line,
        _("save it as UTF-8, or give its encoding with --encoding"),
    )


def _scan_as(path: str, f, codec: str, mixed: bool = False) -> _Scan | tuple:
    """The first pass over `f` read as `codec`: a _Scan, or what stops it: ("decode",
    byte, line) of the first byte it cannot decode, ("control", character, line) of a
    control character, or, when the encoding was not given (`mixed`), ("mixed",
    encoding, line) of the first line in another encoding than the lines before it."""
    scan = _Scan(path, codec)
    lines_ascii = True  # every line ended so far is ASCII (a leading BOM aside)
    line_ascii = True  # and so is the line begun, up to the blocks read
    bom = len(codecs.BOM_UTF8) if f.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8 else 0
    f.seek(0)
    utf8_lines = mixed and codec == "gb18030"  # look for UTF-8 lines in GB18030 text
    utf8_at = 0  # the first, told once the whole file decodes (as _decode tells it)
    # UTF-8 text that may be GB18030's (_UNLATIN): its first such characters and line
    two_byte: tuple[str, int] | None = None
    check = mixed and codec == "utf-8-sig" and not bom
    pending = b""  # the start of a line that the next block goes on with
    # a BOM is a valid UTF-8 character: decoded as such, error positions count it
    decoder = codecs.getincrementaldecoder("utf-8" if codec == "utf-8-sig" else codec)()
    decode, state = decoder.decode, decoder.getstate
    offset = 0  # bytes before `block`
    crs = crlfs = 0
    prev = before = b""
    while True:
        block = f.read(_READ)
        held = len(state()[0])  # bytes of `before` the decoder has not decoded yet
        try:
            text = decode(block, not block)
        except UnicodeDecodeError as exc:
            at = exc.start - held  # in `block`; below 0 when in the bytes held from before
            if at >= 0:
                line = scan.newlines + block.count(b"\n", 0, at)
            else:  # newlines after the error, among those held, were counted already
                line = scan.newlines - before.count(b"\n", len(before) + at)
            if mixed and codec == "utf-8-sig":
                # text beyond ASCII in the lines before the error's: UTF-8 lines, then a
                # line that is not (the error's own line may open with GB18030 characters
                # that happen to be valid UTF-8: 医师 is D2BD CAA6)
                clean = lines_ascii
                nl = block.rfind(b"\n", 0, at) if at > 0 else -1
                if nl >= 0:
                    clean = clean and line_ascii and _ascii(block[: nl + 1], offset, bom)
                if not clean:
                    return "mixed", "UTF-8", line + 1
            return "decode", offset + at + 1, line + 1
        if check and not block.isascii():
            if _LONGER_LEAD.search(block):
                check, two_byte = False, None  # CJK as UTF-8: UTF-8 it is
            elif two_byte is None and (m := _UNLATIN.search(text)):
                two_byte = m.group(), scan.newlines + text.count("\n", 0, m.start()) + 1
        if not block:
            if utf8_lines and not utf8_at:
                utf8_at = _utf8_line([pending], scan.newlines + 1)
            if utf8_at:
                return "mixed", "GB18030", utf8_at
            break
        control = _CONTROL_BYTES.search(block) if block.translate(None, _NOT_CONTROL) else None
        if control is not None:
            line = scan.newlines + block.count(b"\n", 0, control.start()) + 1
            return "control", control.group()[0], line
        if mixed and lines_ascii:
            nl = block.rfind(b"\n")
            if nl >= 0:
                lines_ascii = line_ascii and _ascii(block[: nl + 1], offset, bom)
                line_ascii = _ascii(block[nl + 1 :], offset + nl + 1, bom)
            elif line_ascii:
                line_ascii = _ascii(block, offset, bom)
        if utf8_lines and not utf8_at:  # whole lines only: a block may end inside one
            lines = (pending + block).split(b"\n")
            pending = lines.pop()
            utf8_at = _utf8_line(lines, scan.newlines + 1)  # `pending` began that line
        before = block
        scan.newlines += block.count(b"\n")
        if not scan.quoted and b'"' in block:
            scan.quoted = True
        if not scan.colons and b":" in block:
            scan.colons = True
        if b"\r" in block:
            crs += block.count(b"\r")
            crlfs += block.count(b"\r\n")
        if prev == b"\r" and block[:1] == b"\n":
            crlfs += 1  # split between two blocks
        prev = block[-1:]
        offset += len(block)
    if two_byte is not None:
        f.seek(0)
        if _chinese_as_gb18030(iter(lambda: f.read(_READ), b"")):
            return "ambiguous", *two_byte
    scan.last = prev
    scan.crlf = crlfs > 0
    scan.lone_cr = crs != crlfs
    return scan


def _file_text(scan: _Scan) -> Iterator[str]:
    """The text of a scanned CSV file, decoded a block at a time, each block ending with
    a line break (all but the last), with every "\r\n" read as "\n" (as _csv_table
    reads the whole text). The file is opened when the first block is asked for, so
    that two readers of a table each read their own. A file that is no
    longer the one scanned (written to, replaced, gone) is a problem, not a misreading.
    """
    problems = scan.problems
    assert problems is not None
    decoder = codecs.getincrementaldecoder(scan.codec)()
    crlf, lone_cr = scan.crlf, scan.lone_cr
    carry = ""
    start = scan.codec != "utf-8-sig"  # which drops a BOM itself
    try:
        with open(scan.path, "rb") as f:
            if _stamp(f.fileno()) != scan.stamp:
                raise _changed(scan, problems)
            while block := f.read(_READ):
                text = decoder.decode(block)
                if start and text:  # a BOM is no part of the text, in any encoding
                    start = False
                    if text[0] == "\ufeff":
                        text = text[1:]
                if carry:
                    text = carry + text
                cut = text.rfind("\n") + 1
                if lone_cr:  # lines that end with a lone carriage return (csv reads them):
                    # cut after one that no "\r\n" can follow (nor make, once replaced)
                    r = text.rfind("\r", cut, len(text) - 1)
                    if r >= 0 and text[r + 1] not in "\r\n":
                        cut = r + 1
                carry = text[cut:]
                if len(carry) > MAX_LEDGER_LINE:
                    problems.fail(
                        "limit",
                        _("a line is longer than {limit:,} characters").format(
                            limit=MAX_LEDGER_LINE
                        ),
                        hint=_("is this a CSV file? a ledger has one row per line"),
                    )
                    raise Stop
                if cut:
                    yield text[:cut].replace("\r\n", "\n") if crlf else text[:cut]
            if _stamp(f.fileno()) != scan.stamp:
                raise _changed(scan, problems)
            text = carry + decoder.decode(b"", True)
    except UnicodeDecodeError:
        raise _changed(scan, problems) from None
    except OSError as exc:
        _io_error(scan.path, exc, problems)  # noted; reading stops
        raise Stop from None
    if text:
        yield text.replace("\r\n", "\n") if crlf else text


def _stamp(fd: int) -> tuple:
    st = os.fstat(fd)
    return st.st_size, st.st_mtime_ns, st.st_ino


def _changed(scan: _Scan, problems: Problems) -> Stop:
    problems.fail(
        "io",
        _("`{path}` changed while it was being read").format(path=scan.path),
        hint=_("run again once nothing is writing to it"),
    )
    return Stop()


def _file_blocks(scan: _Scan, skip: int) -> Iterator[list[str]]:
    """The lines of a scanned CSV file after the first `skip`, a block at a time."""
    for text in _file_text(scan):
        lines = (text[:-1] if text.endswith("\n") else text).split("\n")
        if skip:
            drop = min(skip, len(lines))
            del lines[:drop]
            skip -= drop
        if lines:
            yield lines


def _csv_file_table(scan: _Scan, problems: Problems) -> Table:
    """A scanned CSV file as a table whose rows are read from the file as they are
    asked for: split at commas when no cell is quoted, by csv.reader otherwise."""
    if scan.quoted or scan.lone_cr:
        return _csv_reader_table(scan, problems)
    found = _header_line(scan)
    if found is None:
        raise problems.fail(
            "empty", _("the file is empty"), 1, hint=_("the first row is the header")
        )
    line, first = found
    if len(first) > MAX_CELL:
        return _csv_reader_table(scan, problems)  # which reports it
    names = first.split(",")
    header = _header(names, line, problems)
    rows = scan.newlines - line + (scan.last != b"\n")
    return Table(
        problems.file,
        header,
        line,
        _split_blocks(_file_blocks(scan, line), line + 1, problems),
        max(rows, 0),
        scan.colons,
        len(names),
    )


def _header_line(scan: _Scan) -> tuple[int, str] | None:
    """The first line with a cell that is not blank, and its number."""
    line = 0
    for lines in _file_blocks(scan, 0):
        for text in lines:
            line += 1
            if text.strip(", \t"):
                return line, text
    return None


def _csv_reader_table(scan: _Scan, problems: Problems) -> Table:
    """A scanned CSV file with quotes (or lone carriage returns), read by csv.reader."""
    reader = csv.reader(_file_lines(scan))
    header, cells = _reader_header(reader, problems)
    return Table(
        problems.file,
        header,
        reader.line_num,
        _csv_file_rows(scan, reader.line_num, problems),
        cells=cells,
    )


def _csv_file_rows(
    scan: _Scan, header_end: int, problems: Problems
) -> Iterator[tuple[int, list[str]]]:
    """The records after the header's, read again from the file (opened when first
    asked for, as _file_text says)."""
    reader = csv.reader(_file_lines(scan))
    while reader.line_num < header_end:
        if next(reader, None) is None:  # read once already: the file is not the same
            assert scan.problems is not None
            raise _changed(scan, scan.problems)
    yield from _csv_rows(reader, problems)


def _file_lines(scan: _Scan) -> Iterator[str]:
    """A scanned CSV file's lines, each with its line break, as csv.reader reads them."""
    for text in _file_text(scan):
        yield from io.StringIO(text, newline="")


def _bounded(rows: list[list[str]], first: int, problems: Problems):
    """Number rows from `first`, reporting (and dropping) rows with an over-long cell."""
    for line, row in enumerate(rows, first):
        if row and max(map(len, row)) > MAX_CELL:
            problems.add("format", _cell_too_long(), line)
            row.clear()
    return zip(_count(first), rows)


def _csv_message(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return _cell_too_long()
    return text.lower()


def _cell_too_long() -> str:
    return _("a cell is longer than {n} characters").format(n=MAX_CELL)


def _cell(v) -> str:
    """One spreadsheet or JSON value as the text a CSV would hold."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return repr(v)
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, _dt.datetime):
        if v.time() == _dt.time(0):
            return v.date().isoformat()
        return v.isoformat(sep=" ")
    if isinstance(v, (_dt.date, _dt.time)):
        return v.isoformat()
    return str(v)  # a duration (timedelta), say


def _xlsx_table(path: str, problems: Problems, sheet: str | int | None = None) -> Table:
    """A workbook's sheet (the first unless `sheet` names one, or numbers it from 1),
    read with calamine: its cells as a CSV would hold them, rows converted as they are
    asked for, so that reading stops at the error limit. Hidden rows and columns are
    read like any other; a merged cell's value is in its top-left cell."""
    try:
        from python_calamine import CalamineError, CalamineWorkbook
    except ImportError:  # pragma: no cover - python-calamine is a dependency
        raise problems.fail(
            "format",
            _("reading .xlsx needs the python-calamine package"),
            hint=_("pip install python-calamine, or save the sheet as CSV"),
        ) from None
    _stat_ledger(path, problems)
    try:
        wb = CalamineWorkbook.from_path(path)
        names = list(wb.sheet_names)
        if not names:
            raise problems.fail("empty", _("the workbook has no sheet"), 1)
        index = _sheet_index(names, sheet, problems)
        _bounded_sheet(path, names[index], problems)
        data = wb.get_sheet_by_index(index)
        rows = data.iter_rows()
        first = data.start[0] if data.start else 0  # rows above the used range: none
    except LedgerError:
        raise
    except (CalamineError, OSError, ValueError, TypeError) as exc:  # calamine's own kinds
        del exc
        raise problems.fail(
            "format",
            _("`{path}` is not a readable .xlsx workbook").format(path=path),
            hint=_("open it in Excel and save it again as .xlsx, or as CSV"),
        ) from None
    numbered = enumerate(rows, first + 1)  # sheet rows count from 1
    for line, values in numbered:
        row = _xlsx_row(values, line, problems)
        if any(c.strip() for c in row):
            header = _header(row, line, problems)
            left = max(data.height - (line - first), 0)
            return Table(problems.file, header, line, _xlsx_rows(numbered, problems), left)
    raise problems.fail(
        "empty",
        _("sheet `{name}` is empty").format(name=names[index]),
        1,
        _("the first row is the header"),
    )


def _bounded_sheet(path: str, name: str, problems: Problems) -> None:
    """Refuse a sheet past the workbook limits before calamine builds it whole in
    memory (engine/ledger/workbook.py says why)."""
    from engine import limits
    from engine.ledger.workbook import sheet_size, too_large

    size = sheet_size(path, name)
    if size is None or not too_large(size):
        return
    if size.rows > limits.MAX_XLSX_ROWS:
        raise problems.fail(
            "limit",
            _(
                "sheet `{name}` has more than {limit:,} rows, the most policyctl reads "
                "from a workbook (as many as Excel itself holds)"
            ).format(name=name, limit=limits.MAX_XLSX_ROWS),
            hint=_("split the sheet, or save it as CSV, which is read as a stream"),
        )
    raise problems.fail(
        "limit",
        _(
            "sheet `{name}` spans {rows:,} rows by {columns:,} columns, more than the "
            "{limit:,} cells policyctl reads from a workbook"
        ).format(name=name, rows=size.rows, columns=size.columns, limit=limits.MAX_XLSX_CELLS),
        hint=_("delete stray cells far to the right of or below the ledger, or save it as CSV"),
    )


def _sheet_index(names: list[str], sheet: str | int | None, problems: Problems) -> int:
    """Which sheet `--sheet` means: a name, else a number counted from 1."""
    if sheet is None:
        return 0
    text = str(sheet).strip()
    if text in names:
        return names.index(text)
    if text.isdigit() and 1 <= int(text) <= len(names):
        return int(text) - 1
    raise problems.fail(
        "sheet",
        _("the workbook has no sheet `{sheet}`").format(sheet=text),
        hint=_("its sheets are: {names} (give a name, or a number from 1)").format(
            names=", ".join(names)
        ),
    )


def _xlsx_row(values, line: int, problems: Problems) -> list[str]:
    row = [_cell(v) for v in values]
    for cell in row:
        if len(cell) > MAX_CELL:
            problems.add(
                "format", _("a cell is longer than {limit} characters").format(limit=MAX_CELL), line
            )
            return []
        if _CONTROL.search(cell):
            problems.add(
                "format",
                _("line {line} holds the control character U+{code:04X}").format(
                    line=line, code=ord(_CONTROL.search(cell).group())
                ),
                line,
                _("remove it: codes and dates are plain text"),
            )
            return []
    return row


def _parquet_table(path: str, problems: Problems) -> Table:
    """A Parquet file (pyarrow): its values as a CSV
    would hold them (`_cell`), a batch of rows at a time; row N is "line" N + 1, as
    the columnar reader numbers it (engine/columnar/read.py), the header line 1.
    Arrow comes with the `columnar` extra: without it, the one line saying so."""
    from engine.extras import MESSAGES as EXTRAS
    from engine.extras import require

    require("columnar", thing=_(EXTRAS["parquet-ledger"]), what="parquet", span=Span(path))
    import pyarrow as pa
    import pyarrow.parquet as pq

    _stat_ledger(path, problems)
    try:
        f = pq.ParquetFile(path)
        names = f.schema_arrow.names
    except (OSError, pa.ArrowException):
        raise problems.fail(
            "format",
            _("`{path}` is not a readable Parquet file").format(path=path),
            hint=_("write it again, or save the ledger as CSV"),
        ) from None
    header = _header(list(names), 1, problems)

    def rows() -> Iterator[tuple[int, list[str]]]:
        line = 2
        for batch in f.iter_batches(batch_size=50_000):
            for values in zip(*(c.to_pylist() for c in batch.columns), strict=True):
                yield line, _xlsx_row(values, line, problems)
                line += 1

    return Table(problems.file, header, 1, rows(), f.metadata.num_rows)


def _stat_ledger(path: str, problems: Problems) -> None:
    """A file that is there, readable, not a folder and not too large (xlsx, Parquet)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _io_error(path, exc, problems) from None
    if stat.S_ISDIR(st.st_mode):
        raise problems.fail("io", _("cannot read `{path}`: it is a directory").format(path=path))
    if st.st_size > MAX_LEDGER_BYTES:
        raise problems.fail(
            "limit",
            _("`{path}` is larger than {limit}").format(
                path=path, limit=size_text(MAX_LEDGER_BYTES)
            ),
        )
    try:
        with open(path, "rb") as f:
            f.read(1)  # an unreadable file is an io problem, not a bad file
    except OSError as exc:
        raise _io_error(path, exc, problems) from None


def _xlsx_rows(numbered, problems: Problems) -> Iterator[tuple[int, list[str]]]:
    for line, values in numbered:
        yield line, _xlsx_row(values, line, problems)


class _Pairs(list):
    """A JSON object as the list of its (key, value) pairs, in order, so that a key given
    twice is seen (a dict would keep the last value silently)."""


_BLANK = object()  # a blank (or unreadable) line of a JSON Lines file


def _jsonl_table(text: str, problems: Problems) -> Table:
    objects: list[object] = []
    for number, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if not line:
            objects.append(_BLANK)
            continue
        try:
            objects.append(json.loads(line, object_pairs_hook=_Pairs))
        except RecursionError:
            problems.add(
                "format",
                _("a JSON value is nested too deeply"),
                number,
                _("write one flat JSON object per line"),
            )
            objects.append(_BLANK)
        except ValueError as exc:
            message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            problems.add(
                "format",
                _("not a JSON object: {reason}").format(reason=message.lower()),
                number,
                _("write one JSON object per line"),
            )
            objects.append(_BLANK)
    return records_table(objects, problems)


def records_table(
    records: Sequence[object],
    problems: Problems,
    what: str | None = None,
    hint: str | None = None,
    columns: Sequence[str] = (),
) -> Table:
    """JSON values already decoded, one a row (row N is line N), as
    the table a JSON Lines file of them would give: what a request's JSON body is read as
    (engine/serve), so that it is checked exactly as a ledger file is. An object is a
    `_Pairs` (decoded with `object_pairs_hook=_Pairs`, so a key given twice is seen) or
    a dict. `what` names a row in messages ("a line"), `hint` says how to write one
    (both in the chosen language).
    `columns`: names the table has even when no object gives them (a key left out of
    every object is then an empty cell in each row, not a missing column)."""
    what = what or _("a line")
    hint = hint or _("write one JSON object per line")
    rows_of: list[dict[str, str] | None] = []
    names: dict[str, None] = dict.fromkeys(columns)
    for number, obj in enumerate(records, 1):
        if obj is _BLANK:
            rows_of.append(None)
            continue
        if isinstance(obj, dict):
            obj = _Pairs(obj.items())
        if not isinstance(obj, _Pairs):
            problems.add(
                "format",
                _("{what} must hold a JSON object, not {kind}").format(
                    what=what, kind=type(obj).__name__
                ),
                number,
                hint,
            )
            rows_of.append(None)
            continue
        row: dict[str, str] = {}
        spelled: dict[str, str] = {}
        for key, value in obj:
            name = str(key).strip().lower()
            if name in spelled:
                first = spelled[name]
                problems.add(
                    "format",
                    _("key `{key}` appears twice in one object").format(key=key)
                    if first == key
                    else _("keys `{first}` and `{key}` name one column").format(
                        first=first, key=key
                    ),
                    number,
                    _("give each column once"),
                )
                row = {}
                break
            spelled[name] = key
            if (
                name == "items"
                and isinstance(value, list)
                and all(isinstance(v, str) for v in value)
            ):
                value = "|".join(value)
            if isinstance(value, (_Pairs, dict, list, bool)):
                problems.add(
                    "format", _("`{name}` must be a string or a number").format(name=name), number
                )
                continue
            cell = _cell(value)
            bad = _CONTROL.search(cell) or _CONTROL.search(name)
            if bad is not None:
                problems.add(
                    "format",
                    _("line {line} holds the control character U+{code:04X}").format(
                        line=number, code=ord(bad.group())
                    ),
                    number,
                    _("remove it: codes and dates are plain text"),
                )
                row = {}
                break
            row[name] = cell
            names.setdefault(name, None)
        rows_of.append(row)
    if not any(row for row in rows_of):
        if problems.items:
            raise LedgerError(problems.items)
        raise problems.fail("empty", _("the file has no JSON objects"), 1, hint=hint)
    header = list(names)
    rows = [[] if obj is None else [obj.get(n, "") for n in header] for obj in rows_of]
    # JSON lines have no header line: row 1 is line 1, so the "header" sits on line 0.
    return Table(problems.file, header, 0, _bounded(rows, 1, problems), len(rows))
