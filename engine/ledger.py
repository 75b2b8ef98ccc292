"""Stage "read": events and roster files -> typed rows, each with its file and line.

A ledger is what an analyst has: a spreadsheet of inspection findings (one row
per act) and, optionally, a roster of practitioners (one row per practice
site). This module turns them into `Event` and `Person` objects the evaluator
can trust, or refuses with every problem it found (up to a limit), each as a
`Diagnostic` pointing at `file:line`:

- formats are chosen by extension: `.xlsx` (first sheet), `.jsonl` /
  `.ndjson` (one JSON object per line), anything else CSV; `-` is standard
  input, read as CSV and named `<stdin>` in messages;
- CSV text is UTF-8 (with or without a BOM) or, failing that, GB18030, the
  encoding Excel uses for "CSV" on Chinese Windows; an explicit `encoding`
  overrides both;
- header names are stripped and lower-cased; blank rows are skipped; cells of
  the columns the engine reads are stripped; every other column goes to
  `attrs`, empty values left out;
- every event is checked against the policy it will be evaluated under:
  item codes exist (with a "did you mean" hint), range items have their decided
  `points` inside the range, items computed from the fund loss have `amount`,
  institution events name an institution and no person, ids are unique.

Lines are physical lines for CSV (a quoted cell spanning lines counts them
all; a row is reported at its first line), sheet rows for xlsx, lines for
JSONL. Events come back sorted by date, stable by file order within a date.

Speed matters (a city-year is a million rows). The CSV hot loop works on
`csv.reader` rows (or, when the text has no quotes, plain `str.split`), maps
the header to indexes once, and caches what repeats: dates, institution and
inspection codes (interned), and the checks of each `(type, items)` pair, so
a plain row costs a few small-dictionary look-ups and one object; only rows
with `points`, `amount`, `end`, a problem or an item that needs a value take
the slower, fully checked path. Event ids are checked for duplicates once, by
a set, at the end. The garbage collector is paused while rows are built (it
would otherwise walk the growing list again and again) and restored
afterwards (see `_bulk`).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import difflib
import gc
import io
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from itertools import count as _count
from itertools import repeat
from operator import attrgetter, itemgetter
from pathlib import Path

from .calendar import parse_date
from .errors import Diagnostic, LedgerError, Span
from .model import Item, Policy

EVENT_TYPES = ("violation", "reapply", "credit", "institution_suspended", "institution_terminated")
INSTITUTION_TYPES = frozenset({"institution_suspended", "institution_terminated"})

# The columns the engine reads, in the order the hot loop unpacks them.
FIELDS = ("id", "person", "date", "type", "items", "institution", "inspection", "amount",
          "points", "end")
REQUIRED_EVENT_COLUMNS = ("date", "person")
REQUIRED_ROSTER_COLUMNS = ("person", "institution")

MAX_CELL = 1000  # characters in one cell
MAX_ROWS = 10_000_000  # data rows in one file
STDIN = "-"
STDIN_NAME = "<stdin>"

_DATE_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_DECIMAL = re.compile(r"[0-9]+(?:\.([0-9]+))?\Z")
_LOOSE_DATE = re.compile(r"([0-9]{4})\s*[/.年-]\s*([0-9]{1,2})\s*[/.月-]\s*([0-9]{1,2})\s*日?\Z")
_CACHE_MAX = 200_000


class Event:
    """One ledger row: a finding, a re-application, a credit or an institution event."""

    __slots__ = ("id", "person", "date", "type", "items", "institution", "inspection",
                 "amount", "points", "end", "attrs", "file", "line", "seq")

    def __init__(self, id, person, date, type, items, institution, inspection,
                 amount, points, end, attrs, file, line, seq):
        self.id = id
        self.person = person
        self.date = date
        self.type = type
        self.items = items
        self.institution = institution
        self.inspection = inspection
        self.amount = amount
        self.points = points
        self.end = end
        self.attrs = attrs
        self.file = file
        self.line = line
        self.seq = seq

    def __repr__(self) -> str:
        return (f"Event({self.id!r}, {self.type}, person={self.person!r}, date={self.date}, "
                f"items={self.items!r}, at={self.file}:{self.line})")


@dataclass
class Person:
    """One practitioner on the roster, with every site they practise at."""

    person: str
    institutions: list[str]
    attrs: dict[str, str]
    file: str
    line: int


@dataclass
class Ledger:
    """What the evaluator reads: the events in date order, and who works where."""

    events: list[Event]
    roster: dict[str, Person] | None
    staff: dict[str, list[str]]


# ---- problems ------------------------------------------------------------------------------


class _Stop(Exception):
    """Raised inside a reader when the problem limit is reached."""


class _Problems:
    """Diagnostics of one file, up to a limit; one more and reading stops."""

    def __init__(self, file: str, limit: int):
        self.file = file
        self.limit = max(1, limit)
        self.items: list[Diagnostic] = []

    def add(self, code: str, message: str, line: int = 0, hint: str | None = None) -> None:
        if len(self.items) >= self.limit:
            self.items.append(Diagnostic(
                "limit", f"too many problems; stopping after {self.limit}",
                Span(self.file, line), "fix these and run again"))
            raise _Stop
        self.items.append(Diagnostic(code, message, Span(self.file, line), hint))

    def fail(self, code: str, message: str, line: int = 0, hint: str | None = None):
        """Add a problem that ends reading the file at once."""
        with contextlib.suppress(_Stop):
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
def _bulk():
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


class _Table:
    """A file's header and its data rows.

    `rows` yields `(line, cells)` for each record after the header: the record's first
    physical line (CSV), sheet row (xlsx) or line (JSONL). Rows that could not be read
    are reported while reading and not yielded; blank rows are yielded (as `[]` or empty
    cells) and skipped by the caller.
    """

    __slots__ = ("file", "header", "header_line", "rows", "count")

    def __init__(self, file: str, header: list[str], header_line: int, rows, count=None):
        self.file = file
        self.header = header
        self.header_line = header_line
        self.rows = rows
        self.count = count  # the number of rows, when known before reading them


def _display(path: str) -> str:
    return STDIN_NAME if path == STDIN else path


def _read_bytes(path: str, problems: _Problems) -> bytes:
    if path == STDIN:
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise problems.fail("io", f"cannot read `{path}`: no such file",
                            hint="check the path") from None
    except IsADirectoryError:
        raise problems.fail("io", f"cannot read `{path}`: it is a directory") from None
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise problems.fail("io", f"cannot read `{path}`: {reason}") from None


def _decode(data: bytes, encoding: str | None, problems: _Problems) -> str:
    if encoding:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise problems.fail("encoding", f"unknown encoding `{encoding}`",
                                hint="try utf-8 or gb18030") from None
        except UnicodeDecodeError as exc:
            raise _decode_error(data, exc, encoding, problems) from None
        return text[1:] if text.startswith("\ufeff") else text
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" is UTF-16
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _decode_error(data, exc, "utf-16", problems) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise _decode_error(data, exc, "utf-8 or gb18030", problems) from None


def _decode_error(data: bytes, exc: UnicodeDecodeError, encoding: str, problems: _Problems):
    line = data.count(b"\n", 0, exc.start) + 1
    return problems.fail("encoding", f"the file is not valid {encoding} (byte {exc.start + 1})",
                         line, "save it as UTF-8, or give its encoding with --encoding")


def _header(names: list, line: int, problems: _Problems) -> list[str]:
    """Stripped, lower-cased names; trailing unnamed columns dropped; no duplicates."""
    header = [("" if n is None else str(n)).strip().lower() for n in names]
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0].lstrip("\ufeff").strip()
    while header and not header[-1]:
        header.pop()
    seen: set[str] = set()
    for i, name in enumerate(header):
        if not name:
            raise problems.fail("column", f"column {i + 1} of the header has no name", line,
                                "name every column, or delete the empty one")
        if name in seen:
            raise problems.fail("column", f"column `{name}` appears twice in the header", line)
        seen.add(name)
    return header


def _open_table(path: str, encoding: str | None, problems: _Problems) -> _Table:
    suffix = "" if path == STDIN else Path(path).suffix.lower()
    if suffix == ".xlsx":
        return _xlsx_table(path, problems)
    text = _decode(_read_bytes(path, problems), encoding, problems)
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl_table(text, problems)
    return _csv_table(text, problems)


def _csv_table(text: str, problems: _Problems) -> _Table:
    file = problems.file
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if '"' not in text and "\r" not in text and max(map(len, lines)) <= MAX_CELL:
        # No quoting anywhere: a record is a line and a cell is what lies between commas,
        # exactly as csv.reader would read it, but about twice as fast.
        for i, line in enumerate(lines):
            if line.strip(", \t"):
                header = _header(line.split(","), i + 1, problems)
                rest = lines[i + 1:]
                rows = zip(_count(i + 2), map(str.split, rest, repeat(",")))
                return _Table(file, header, i + 1, rows, len(rest) - rest.count(""))
        raise problems.fail("empty", "the file is empty", 1,
                            hint="the first row is the header")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            if any(c.strip() for c in row):
                header = _header(row, reader.line_num, problems)
                return _Table(file, header, reader.line_num, _csv_rows(reader, problems))
    except csv.Error as exc:
        raise problems.fail("format", f"cannot read the header: {_csv_message(exc)}",
                            reader.line_num) from None
    raise problems.fail("empty", "the file is empty", 1, "the first row is the header")


def _csv_rows(reader, problems: _Problems) -> Iterator[tuple[int, list[str]]]:
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


def _bounded(rows: list[list[str]], first: int, problems: _Problems):
    """Number rows from `first`, reporting (and dropping) rows with an over-long cell."""
    for line, row in enumerate(rows, first):
        if row and max(map(len, row)) > MAX_CELL:
            problems.add("format", f"a cell is longer than {MAX_CELL} characters", line)
            row.clear()
    return zip(_count(first), rows)


def _csv_message(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return f"a cell is longer than {MAX_CELL} characters"
    return text.lower()


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
    return str(v)


def _xlsx_table(path: str, problems: _Problems) -> _Table:
    import zipfile

    try:
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        raise problems.fail("format", "reading .xlsx needs the openpyxl package",
                            hint="pip install openpyxl, or save the sheet as CSV") from None
    if not Path(path).exists():
        _read_bytes(path, problems)  # raises the io problem
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        if isinstance(exc, OSError):
            _read_bytes(path, problems)  # an unreadable file is an io problem
        raise problems.fail("format", f"`{path}` is not a readable .xlsx workbook",
                            hint="open it in Excel and save it again as .xlsx, or as CSV") from None
    try:
        if not wb.worksheets:
            raise problems.fail("empty", "the workbook has no sheet", 1)
        rows = [[_cell(v) for v in values]
                for values in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()
    for i, row in enumerate(rows):
        if any(c.strip() for c in row):
            header = _header(row, i + 1, problems)
            rest = rows[i + 1:]
            return _Table(problems.file, header, i + 1, _bounded(rest, i + 2, problems),
                          len(rest))
    raise problems.fail("empty", "the first sheet is empty", 1, "the first row is the header")


def _jsonl_table(text: str, problems: _Problems) -> _Table:
    objects: list[dict | None] = []
    names: dict[str, None] = {}
    for number, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if not line:
            objects.append(None)
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            problems.add("format", f"not a JSON object: {message.lower()}", number,
                         "write one JSON object per line")
            objects.append(None)
            continue
        if not isinstance(obj, dict):
            problems.add("format", f"a line must hold a JSON object, not {type(obj).__name__}",
                         number, "write one JSON object per line")
            objects.append(None)
            continue
        row: dict[str, str] = {}
        for key, value in obj.items():
            name = key.strip().lower()
            if name == "items" and isinstance(value, list) and all(
                    isinstance(v, str) for v in value):
                value = "|".join(value)
            if isinstance(value, (dict, list, bool)):
                problems.add("format", f"`{name}` must be a string or a number", number)
                continue
            row[name] = _cell(value)
            names.setdefault(name, None)
        objects.append(row)
    if not names:
        if problems.items:
            raise LedgerError(problems.items)
        raise problems.fail("empty", "the file has no JSON objects", 1,
                            hint="write one JSON object per line")
    header = list(names)
    rows = [[] if obj is None else [obj.get(n, "") for n in header] for obj in objects]
    # JSON lines have no header line: row 1 is line 1, so the "header" sits on line 0.
    return _Table(problems.file, header, 0, _bounded(rows, 1, problems), len(rows))


# ---- values --------------------------------------------------------------------------------


def _fmt(x) -> str:
    """A number as an analyst writes it: 3, 1.5, 2/3."""
    if isinstance(x, int):
        return str(x)
    if isinstance(x, Fraction):
        d = x.denominator
        while d % 2 == 0:
            d //= 2
        while d % 5 == 0:
            d //= 5
        if d == 1:
            text = f"{float(x):.10f}".rstrip("0").rstrip(".")
            if Fraction(text) == x:
                return text
        return f"{x.numerator}/{x.denominator}"
    return str(x)


def _decimal(text: str):
    """Decimal text -> int or Fraction (whole values as int); None if not a plain decimal."""
    if text.isdigit() and text.isascii():
        return int(text)
    if _DECIMAL.match(text) is None:
        return None
    value = Fraction(text)
    return value.numerator if value.denominator == 1 else value


def _hint_date(text: str) -> str:
    m = _LOOSE_DATE.match(text)
    if m:
        with contextlib.suppress(ValueError):
            d = _dt.date(int(m[1]), int(m[2]), int(m[3]))
            return f"write it as `{d.isoformat()}`"
    return "write dates as YYYY-MM-DD, e.g. `2024-03-29`"


def _close(word: str, choices) -> str | None:
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not found:
        upper = [c for c in choices if c.upper() == word.upper()]
        found = upper[:1]
    return found[0] if found else None


def _listing(codes) -> str:
    codes = sorted(codes)
    if len(codes) > 12:
        return ", ".join(codes[:12]) + f", ... ({len(codes)} in all)"
    return ", ".join(codes)


# ---- events --------------------------------------------------------------------------------


class _Profile:
    """What a `(type, items)` pair means under the policy, worked out once."""

    __slots__ = ("type", "items", "errors", "points_items", "ranges", "amount_item",
                 "institution", "slow")

    def __init__(self, type_, items, errors, points_items, ranges, amount_item, institution):
        self.type = type_
        self.items = items
        self.errors = errors
        self.points_items = points_items
        self.ranges = ranges
        self.amount_item = amount_item
        self.institution = institution
        self.slow = bool(errors or points_items or amount_item or institution)


class _EventReader:
    def __init__(self, policy: Policy, problems: _Problems):
        self.policy = policy
        self.problems = problems
        self.unit = policy.scale.unit
        self.numbers: dict[str, object] = {}

    # -- (type, items) ---------------------------------------------------------------------
    def profile(self, type_text: str, items_text: str) -> _Profile:
        policy = self.policy
        errors: list[tuple[str, str, str | None]] = []
        raw_type = type_text.strip()
        etype = raw_type.lower() or "violation"
        parts = [c.strip() for c in items_text.split("|")] if items_text.strip() else []
        codes = tuple(dict.fromkeys(c for c in parts if c))
        if etype not in EVENT_TYPES:
            near = _close(etype, EVENT_TYPES)
            hint = (f"did you mean `{near}`? " if near else "") + \
                "types are " + ", ".join(EVENT_TYPES) + " (empty means violation)"
            errors.append(("type", f"unknown event type `{raw_type}`", hint))
            return _Profile(None, codes, tuple(errors), (), (), None, False)
        if "" in parts:
            errors.append(("item", f"`items` has an empty code: `{items_text.strip()}`",
                           "separate codes with a single `|`, e.g. `A1|B2`"))
        repeated = sorted({c for c in parts if c and parts.count(c) > 1})
        for code in repeated:
            errors.append(("item", f"item `{code}` is listed twice in one event",
                           "list each code once; several acts are several rows"))
        resolved: list[Item] = []
        if etype in ("violation", "credit"):
            own, other = ((policy.items, policy.credits) if etype == "violation"
                          else (policy.credits, policy.items))
            what = "item" if etype == "violation" else "credit"
            if not codes:
                errors.append(("item", f"a `{etype}` event needs at least one {what} code in "
                               "`items`", f"e.g. `{_listing(own).split(',')[0]}`" if own else
                               None))
            for code in codes:
                item = own.get(code)
                if item is not None:
                    resolved.append(item)
                elif code in other:
                    if etype == "violation":
                        errors.append(("item", f"`{code}` is a credit, not a violation item",
                                       "use type `credit`"))
                    else:
                        errors.append(("item", f"`{code}` is a violation item, not a credit",
                                       "use type `violation`, or a code from the policy's "
                                       "`credits`"))
                elif etype == "credit" and not own:
                    errors.append(("item", f"unknown credit code `{code}`",
                                   f"policy `{policy.id}` defines no credits"))
                else:
                    near = _close(code, own)
                    hint = (f"did you mean `{near}`?" if near
                            else f"policy `{policy.id}` has {what}s {_listing(own)}")
                    errors.append(("item", f"unknown {what} code `{code}`", hint))
        elif codes:
            errors.append(("item", f"a `{etype}` event lists no items",
                           "leave `items` empty"))
        points_items = tuple(it for it in resolved if "points" in it.needs)
        ranges = tuple(it for it in resolved if it.points_kind == "range")
        amount_item = next((it for it in resolved if "amount" in it.needs), None)
        return _Profile(etype, codes, tuple(errors), points_items, ranges, amount_item,
                        etype in INSTITUTION_TYPES)

    # -- cells -----------------------------------------------------------------------------
    def date(self, text: str, line: int, code: str, name: str):
        problems = self.problems
        s = text.strip()
        if not s:
            problems.add(code, f"`{name}` is empty", line, "write dates as YYYY-MM-DD")
            return None
        if _DATE_FORM.match(s) is None:
            problems.add(code, f"{name} `{s}` is not a date in YYYY-MM-DD form", line,
                         _hint_date(s))
            return None
        try:
            return parse_date(s)
        except ValueError:
            problems.add(code, f"{name} `{s}` is not a real date", line,
                         "check the month and the day")
            return None

    def number(self, text: str, line: int, name: str):
        """A decided `points` or an `amount`; None after reporting a problem."""
        value = self.numbers.get(name + text)
        if value is not None:
            return value
        s = text.strip()
        value = _decimal(s)
        problems = self.problems
        if value is None:
            bare = s.replace(",", "").replace("，", "")
            if s.startswith("-") and _decimal(s[1:]) is not None:
                problems.add(name, f"{name} `{s}` must not be negative", line)
            elif bare != s and _decimal(bare) is not None:
                problems.add(name, f"{name} `{s}` has a thousands separator", line,
                             f"write it as `{bare}`")
            else:
                example = "`12500` or `12500.50`" if name == "amount" else "`2` or `1.5`"
                problems.add(name, f"{name} `{s}` is not a number", line,
                             f"write a plain decimal such as {example}")
            return None
        if name == "amount":
            m = _DECIMAL.match(s)
            if m and m.group(1) and len(m.group(1)) > 2:
                problems.add("amount", f"amount `{s}` has more than 2 decimal places", line,
                             "amounts are in yuan, to the fen (0.01)")
                return None
        if len(self.numbers) < _CACHE_MAX:
            self.numbers[name + text] = value
        return value

    # -- the checks a plain row does not need ------------------------------------------------
    def slow(self, prof: _Profile, person: str, institution, date, points_s: str,
             amount_s: str, end_s: str, line: int, items_s: str):
        """Check what depends on the row beyond its (type, items); returns
        (ok, amount, points, end)."""
        problems = self.problems
        before = len(problems.items)
        points_s, amount_s, end_s = points_s.strip(), amount_s.strip(), end_s.strip()
        for code, message, hint in prof.errors:
            problems.add(code, message, line, hint)
        etype = prof.type
        amount = points = end = None
        if etype is None:  # unknown type: nothing else can be judged
            return False, None, None, None
        if points_s:
            points = self.number(points_s, line, "points")
            if points is not None:
                if not prof.points_items:
                    where = (f"no item in `{items_s.strip()}` takes a decided value"
                             if prof.items else f"a `{etype}` event takes no points")
                    problems.add("points", f"points `{points_s}` given, but {where}",
                                 line, "only range items (`points: {min, max}`) read `points`; "
                                 "leave it empty")
                else:
                    for it in prof.ranges:
                        if not it.low <= points <= it.high:
                            problems.add(
                                "points", f"points `{_fmt(points)}` is outside item "
                                f"`{it.code}`'s range: {_fmt(it.low)} to {_fmt(it.high)} "
                                f"points per {it.cite}", line,
                                f"give a value from {_fmt(it.low)} to {_fmt(it.high)}")
                    if self.unit and points % self.unit:
                        problems.add("points", f"points `{_fmt(points)}` is not a whole "
                                     f"multiple of the policy's unit {_fmt(self.unit)}", line)
        elif prof.points_items:
            it = prof.points_items[0]
            if it.points_kind == "range":
                message = (f"item `{it.code}` takes {_fmt(it.low)} to {_fmt(it.high)} points: "
                           "give the decided value in `points`")
            else:
                message = f"item `{it.code}` computes its points from `points`: give it"
            problems.add("points", message, line, f"see {it.cite}")
        if amount_s:
            amount = self.number(amount_s, line, "amount")
        elif prof.amount_item is not None:
            it = prof.amount_item
            computes = it.expr is not None and ("amount" in it.expr.names
                                                or ("event", "amount") in it.expr.attrs)
            verb = "computes its points" if computes else "decides an effect"
            problems.add("amount", f"item `{it.code}` {verb} from `amount`", line,
                         "give the fund loss in yuan in `amount`")
        if end_s:
            if etype != "institution_suspended":
                problems.add("end", f"`end` is only used by `institution_suspended` events, "
                             f"not `{etype}`", line, "leave it empty")
            else:
                end = self.date(end_s, line, "end", "end")
                if end is not None and date is not None and end < date:
                    problems.add("end", f"end `{end}` is before the event's date `{date}`",
                                 line)
        if prof.institution:
            if person:
                problems.add("person", f"an `{etype}` event concerns an institution: leave "
                             f"`person` empty, not `{person}`", line,
                             "its staff come from the roster")
            if not institution:
                problems.add("institution", f"an `{etype}` event needs `institution`", line,
                             "give the institution's code as on the roster")
        elif not person:
            problems.add("person", f"a `{etype}` event needs `person`", line,
                         "give the practitioner's code")
        return len(problems.items) == before, amount, points, end

    # -- the loop --------------------------------------------------------------------------
    def read(self, table: _Table) -> list[Event]:
        problems = self.problems
        file = table.file
        header = table.header
        index = {name: i for i, name in enumerate(header)}
        missing = [c for c in REQUIRED_EVENT_COLUMNS if c not in index]
        if missing:
            _missing_columns(missing, header, table, problems)
        width = len(header)
        pad = any(f not in index for f in FIELDS)  # absent fields read the appended ""
        get = itemgetter(*(index.get(f, width) for f in FIELDS))
        extra = tuple((name, i) for i, name in enumerate(header) if name not in FIELDS)
        has_id = "id" in index
        max_rows = MAX_ROWS
        if table.count is not None and table.count > max_rows:
            raise problems.fail("format", f"the file has more than {max_rows:,} rows",
                                table.header_line or 1, "split it by year")

        events: list[Event] = []
        append = events.append
        new = object.__new__
        dates: dict[str, _dt.date] = {}
        profiles: dict[str, dict[str, _Profile]] = {}
        places: dict[str, str | None] = {"": None}
        inspections: dict[str, str | None] = {}
        given_ids: list[str] = []  # checked for duplicates at the end: a set is far
        given = given_ids.append   # cheaper than a million dict look-ups in the loop
        dropped: list[tuple[int, str]] = []  # (line, id) of rows not made into events
        last_type: str | None = None
        by_items: dict[str, _Profile] = {}
        count = 0
        for line, row in table.rows:
            if len(row) != width:
                if not row:
                    continue
                if len(row) < width:
                    row.extend([""] * (width - len(row)))
                elif any(c.strip() for c in row[width:]):
                    problems.add("format", f"the row has {len(row)} cells but the header "
                                 f"has {width} columns", line, "quote cells that contain a comma")
                    continue
                else:
                    del row[width:]
            if pad:
                row.append("")
            (id_s, person_s, date_s, type_s, items_s, place_s, insp_s, amount_s, points_s,
             end_s) = get(row)

            try:
                date = dates[date_s]
            except KeyError:
                if not any(c.strip() for c in row):
                    continue  # a blank row
                date = self.date(date_s, line, "date", "date")
                if date is not None and len(dates) < _CACHE_MAX:
                    dates[date_s] = date
            count += 1
            if count > max_rows:
                problems.add("format", f"the file has more than {max_rows:,} rows", line,
                             "split it by year")
                raise _Stop
            if type_s != last_type:
                try:
                    by_items = profiles[type_s]
                except KeyError:
                    by_items = profiles[type_s] = {}
                last_type = type_s
            try:
                prof = by_items[items_s]
            except KeyError:
                prof = by_items[items_s] = self.profile(type_s, items_s)
            # Not interned through a dict: measured on a million rows, the look-up cost a
            # quarter of the read time and made grouping by person slower, not faster (a
            # row's own string sits next to its event in memory; a shared one does not).
            person = person_s.strip()
            try:
                place = places[place_s]
            except KeyError:
                place = place_s.strip() or None
                place = places[place_s] = places.setdefault(place, place) if place else None
            if insp_s:
                try:
                    inspection = inspections[insp_s]
                except KeyError:
                    inspection = inspections[insp_s] = insp_s.strip() or None
            else:
                inspection = None

            if has_id and id_s and (eid := id_s.strip()):
                given(eid)
            else:
                eid = f"{file}:{line}"

            if prof.slow or points_s or amount_s or end_s or not person or date is None:
                ok, amount, points, end = self.slow(prof, person, place, date, points_s,
                                                    amount_s, end_s, line, items_s)
                if not ok or date is None:
                    dropped.append((line, eid))
                    continue
                append(Event(eid, person, date, prof.type, prof.items, place, inspection,
                             amount, points, end,
                             {name: v for name, i in extra if (v := row[i].strip())},
                             file, line, count - 1))
            elif extra:
                append(Event(eid, person, date, prof.type, prof.items, place, inspection,
                             None, None, None,
                             {name: v for name, i in extra if (v := row[i].strip())},
                             file, line, count - 1))
            else:
                # The common row, built without a call to __init__ (about 40 % faster).
                e = new(Event)
                e.id = eid
                e.person = person
                e.date = date
                e.type = prof.type
                e.items = prof.items
                e.institution = place
                e.inspection = inspection
                e.amount = e.points = e.end = None
                e.attrs = {}
                e.file = file
                e.line = line
                e.seq = count - 1
                append(e)
        if len(set(given_ids)) != len(given_ids):
            _duplicate_ids(events, dropped, problems)
        problems.raise_if_any()
        if not count:
            raise problems.fail("empty", "the file has a header but no rows",
                                table.header_line or 1)
        events.sort(key=_BY_DATE)
        return events


_BY_DATE = attrgetter("date")


def _duplicate_ids(events: list[Event], dropped: list[tuple[int, str]],
                   problems: _Problems) -> None:
    """Report every id used more than once, at each later use, pointing at the first."""
    rows = sorted([(e.line, e.id) for e in events] + dropped)
    first: dict[str, int] = {}
    for line, eid in rows:
        if ":" in eid and eid == f"{problems.file}:{line}":
            continue  # a made-up id, unique by construction
        at = first.setdefault(eid, line)
        if at != line:
            problems.add("duplicate-id", f"event id `{eid}` is used twice", line,
                         f"first at line {at}")


def _missing_columns(missing: list[str], header: list[str], table: _Table,
                     problems: _Problems) -> None:
    line = table.header_line or 1
    for name in missing:
        near = _close(name, header)
        hint = f"did you mean `{near}`? " if near else ""
        hint += "the header has: " + (", ".join(header) or "nothing")
        if any("\t" in h or ";" in h for h in header):
            hint += "; the file looks tab- or semicolon-separated: save it as CSV (commas)"
        problems.add("column", f"missing column `{name}`", line, hint)
    raise LedgerError(problems.items)


def read_events(path: str, policy: Policy, encoding: str | None = None,
                limit: int = 50) -> list[Event]:
    """Read an events file and check every row against `policy`; sorted by (date, seq)."""
    problems = _Problems(_display(path), limit)
    try:
        with _bulk():
            table = _open_table(path, encoding, problems)
            return _EventReader(policy, problems).read(table)
    except _Stop:
        raise problems.error() from None


# ---- roster --------------------------------------------------------------------------------


def read_roster(path: str, encoding: str | None = None, limit: int = 50) -> dict[str, Person]:
    """Read a roster (one row per person and practice site) into person code -> Person."""
    problems = _Problems(_display(path), limit)
    try:
        with _bulk():
            table = _open_table(path, encoding, problems)
            return _read_roster(table, problems)
    except _Stop:
        raise problems.error() from None


def _read_roster(table: _Table, problems: _Problems) -> dict[str, Person]:
    header = table.header
    index = {name: i for i, name in enumerate(header)}
    missing = [c for c in REQUIRED_ROSTER_COLUMNS if c not in index]
    if missing:
        _missing_columns(missing, header, table, problems)
    width = len(header)
    ip, ii = index["person"], index["institution"]
    extra = tuple((name, i) for i, name in enumerate(header)
                  if name not in REQUIRED_ROSTER_COLUMNS)
    out: dict[str, Person] = {}
    count = 0
    for line, row in table.rows:
        if len(row) != width:
            if len(row) < width:
                row.extend([""] * (width - len(row)))
            elif any(c.strip() for c in row[width:]):
                problems.add("format", f"the row has {len(row)} cells but the header has "
                             f"{width} columns", line, "quote cells that contain a comma")
                continue
        person, place = row[ip].strip(), row[ii].strip()
        if not person or not place:
            if not any(c.strip() for c in row):
                continue  # a blank row
            if not person:
                problems.add("roster", "a roster row needs `person`", line,
                             "one row per person and practice site")
            if not place:
                problems.add("roster", "a roster row needs `institution`", line,
                             "one row per person and practice site")
            continue
        count += 1
        if count > MAX_ROWS:
            problems.add("format", f"the file has more than {MAX_ROWS:,} rows", line)
            raise _Stop
        entry = out.get(person)
        if entry is None:
            attrs = {name: v for name, i in extra if (v := row[i].strip())}
            out[person] = Person(person, [place], attrs, table.file, line)
        elif place not in entry.institutions:
            entry.institutions.append(place)
    problems.raise_if_any()
    if not out:
        raise problems.fail("empty", "the roster has a header but no rows",
                            table.header_line or 1)
    return out


# ---- both ----------------------------------------------------------------------------------


def read_ledger(events: str, policy: Policy, roster: str | None = None,
                encoding: str | None = None) -> Ledger:
    """Events (checked against `policy`) and, optionally, the roster; problems of both
    files are raised together."""
    diagnostics: list[Diagnostic] = []
    rows: list[Event] = []
    people: dict[str, Person] | None = None
    try:
        rows = read_events(events, policy, encoding)
    except LedgerError as exc:
        diagnostics += exc.diagnostics
    if roster is not None:
        try:
            people = read_roster(roster, encoding)
        except LedgerError as exc:
            diagnostics += exc.diagnostics
    if diagnostics:
        raise LedgerError(diagnostics)

    staff: dict[str, list[str]] = {}
    if people is not None:
        for p in people.values():
            for place in p.institutions:
                staff.setdefault(place, []).append(p.person)
        staff = {place: sorted(codes) for place, codes in sorted(staff.items())}

    institution_events = [e for e in rows if e.type in INSTITUTION_TYPES]
    if institution_events:
        first = min(institution_events, key=attrgetter("seq"))
        if people is None:
            raise LedgerError([Diagnostic(
                "roster", "institution events need --roster", Span(first.file, first.line),
                f"`{first.type}` of `{first.institution}` applies to its staff, "
                "listed in a roster file")])
        unknown: list[Diagnostic] = []
        for e in sorted(institution_events, key=attrgetter("seq")):
            if e.institution not in staff and len(unknown) < 50:
                near = _close(e.institution, staff)
                unknown.append(Diagnostic(
                    "roster", f"institution `{e.institution}` has nobody on the roster",
                    Span(e.file, e.line),
                    f"did you mean `{near}`?" if near else
                    f"the roster `{_display(roster)}` lists its staff by `institution`"))
        if unknown:
            raise LedgerError(unknown)
    return Ledger(rows, people, staff)
