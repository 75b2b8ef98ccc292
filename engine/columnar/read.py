"""CSV and Parquet read straight into columns, checked by vector operations.

Arrow reads the file (every cell as text, as the row reader sees it); every check
the row reader makes is then made on whole columns or once per distinct value:
the header and its required columns, rows as wide as the header, dates (once per
distinct date, with the row reader's own `Values.date`), item lists against the
policy (once per distinct (type, items) pair, with the row reader's own
`RowChecks.profile`), ids given once, points and amounts as plain decimals where
an item needs them and nowhere else, `end` only on an institution's suspension,
a person on every finding.

A file in which any of this finds a problem, or which the columns cannot hold
exactly as the row reader would (a cell with spaces around it, a quoted cell
over several lines, blank lines that shift the line numbers, another encoding,
an id shaped like `file:line`), is read by the row reader instead
(`ledger/read.py`), which names each problem at its `file:line` with the same
message as ever, and whose events become columns (`columns.from_events`).
Nothing is reported here: the columns only find that something is to report.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.columnar import vector
from engine.columnar.columns import DECIDING, KIND, EventColumns, from_events
from engine.columnar.vector import distinct
from engine.ledger.columns import DEFAULT_NAMES, FIELDS, REQUIRED_EVENT_COLUMNS
from engine.ledger.corrections import REFERRING
from engine.ledger.profiles import RowChecks
from engine.ledger.read import MAX_ROWS, read_ledger, required_columns
from engine.ledger.rows import NO_ATTRS, Event, Ledger, event
from engine.ledger.tables import MAX_CELL, Gb18030Suspect, Problems, display, rereadable
from engine.ledger.values import Values
from engine.policy.model import Policy


def read_columns(
    events: str, policy: Policy, roster: str | None, encoding: str | None
) -> tuple[Ledger, EventColumns | None]:
    """The ledger's events as columns: straight from the file where it can be read
    so, else through the row reader (which raises the file's problems).

    None for the columns of a ledger with corrections or decisions (revoke, amend,
    decision: ledger/corrections.py), whose ledger is then handed back whole: its
    people are evaluated as corrected and each correction's trail is worked out by
    re-folding the person, which is the fold's work (evaluation/trail.py)."""
    cols = None
    if roster is None and rereadable(events) and encoding in (None, "utf-8", "utf8"):
        suffix = Path(events).suffix.lower()
        if suffix == ".parquet":
            cols = _arrow_columns(events, policy, _parquet(events))
        elif suffix not in (".xlsx", ".jsonl", ".ndjson"):
            cols = _arrow_columns(events, policy, _csv(events))
    if cols is not None:
        return Ledger([], None, {}), cols
    ledger = read_ledger(events, policy, roster, encoding=encoding)
    if ledger.corrections or ledger.decisions:
        return ledger, None
    cols = from_events(ledger.events)
    ledger.events = []
    return ledger, cols


# ---- the files ----------------------------------------------------------------------------


def _csv(path: str) -> tuple[list[str], Any] | None:
    """(header names, Arrow table of text cells) of a plain UTF-8 CSV whose row n is on
    line n + 1, or None.

    The file is never held whole: its lines and carriage returns are counted a block
    at a time, and Arrow reads it from the path (a province's ledger is half a GB)."""
    import csv

    import pyarrow as pa
    import pyarrow.csv as pcsv

    with open(path, "rb") as f:
        head = f.read(_BLOCK)
        start = 3 if head.startswith(b"\xef\xbb\xbf") else 0
        suspect = Gb18030Suspect(bom=start > 0)
        nl = head.find(b"\n", start)
        while nl < 0:  # (a header longer than a block)
            more = f.read(_BLOCK)
            if not more:
                return None  # a header and nothing else, or no line at all
            head += more
            nl = head.find(b"\n", start)
        first = head[start:nl]
        if not first.strip(b", \t\r"):
            return None
        # each line feed after the header, and a carriage return only before one (a
        # lone carriage return: the row reader's lines differ)
        suspect.see(head)
        lines = head.count(b"\n", nl + 1)
        lone = head.count(b"\r") - head.count(b"\r\n") if b"\r" in head else 0
        tail, block = head[-1:], head
        while block := f.read(_BLOCK):
            suspect.see(block)
            lines += block.count(b"\n")
            if b"\r" in block:  # (most files have none: one quick search)
                lone += block.count(b"\r") - block.count(b"\r\n")
            if tail == b"\r" and block[:1] == b"\n":
                lone -= 1
            tail = block[-1:]
        rest = f.tell() - (nl + 1)
    if lone:
        return None
    lines += 1 if rest and tail != b"\n" else 0
    try:
        names = next(csv.reader([first.decode("utf-8").rstrip("\r")]))
        if suspect.confirmed(path):  # GB18030 valid as UTF-8: the row reader says so
            return None
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return None
    header = _names(names)
    if header is None:
        return None
    raw = [f"c{i}" for i in range(len(names))]
    try:
        with pa.OSFile(path) as source:  # (a path would be decompressed by its suffix: .gz)
            table = pcsv.read_csv(
                source,
                read_options=pcsv.ReadOptions(column_names=raw, skip_rows=1),
                parse_options=pcsv.ParseOptions(newlines_in_values=False),
                convert_options=pcsv.ConvertOptions(
                    column_types={c: pa.string() for c in raw},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    if table.num_rows != lines:  # a blank line or a cell over several lines
        return None
    return header, table.select(raw[: len(header)])


_BLOCK = 1 << 24  # bytes of a CSV counted at a time


def _parquet(path: str) -> tuple[list[str], Any] | None:
    """(header names, Arrow table of text cells) of a Parquet file, each cell the text
    the row reader makes of it (tables._cell), or None."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException):
        return None
    header = _names(table.column_names)
    if header is None:
        return None
    out = []
    for col in table.columns[: len(header)]:
        t = col.type
        if (
            pa.types.is_string(t)
            or pa.types.is_large_string(t)
            or pa.types.is_integer(t)
            or pa.types.is_date32(t)
        ):
            col = pc.cast(col, pa.string())
        else:
            return None  # (floats, times, ...: the row reader's own spelling)
        out.append(pc.fill_null(col, ""))
    return header, pa.table(out, names=[f"c{i}" for i in range(len(out))])


def _names(names: list) -> list[str] | None:
    """The header as the row reader reads it, or None where it has a problem to tell."""
    header = [("" if n is None else str(n)).strip().lower() for n in names]
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0].lstrip("\ufeff").strip()
    while header and not header[-1]:
        header.pop()
    if not header or "" in header or len(set(header)) != len(header):
        return None
    if any(DEFAULT_NAMES.name(h) != h for h in header):
        return None  # an alias (人员编码) or a unit (金额（元）): the row reader names them
    if any(c not in header for c in REQUIRED_EVENT_COLUMNS):
        return None
    return header


# ---- the checks -----------------------------------------------------------------------------


def _arrow_columns(path: str, policy: Policy, read) -> EventColumns | None:
    """The columns of a file read by Arrow, or None where the row reader must read it."""
    if read is None:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    header, table = read
    n = table.num_rows
    if n == 0 or n > MAX_ROWS:
        return None
    col = {name: table.column(i) for i, name in enumerate(header)}
    if any(name not in col for name in required_columns(policy, "event", FIELDS)):
        return None  # a column an expression reads is missing: the row reader says so

    def get(name: str):
        return col.get(name)

    # cells the row reader would strip, or refuse as too long
    for name, c in col.items():
        strip = name in FIELDS and name not in ("amount", "points", "end")
        for a in c.chunks if isinstance(c, pa.ChunkedArray) else [c]:
            longest, padded = _cells(a, strip)
            # (a cell's bytes are at least its characters: counted only past MAX_CELL bytes)
            if longest > MAX_CELL and pc.max(pc.utf8_length(a)).as_py() > MAX_CELL:
                return None
            if padded:
                return None
    problems = Problems(display(path), 1_000_000)
    values = Values(problems)
    checks = RowChecks(policy, problems, values)

    # dates, once per distinct date, by the row reader's own Values.date
    d_codes, d_values = _encode(col["date"])
    ordinals = []
    for text in d_values:
        d = values.date(text, 0, "date", "date")
        if d is None or problems.items:
            return None
        ordinals.append(d.toordinal())
    day = np.asarray(ordinals, np.int32)[d_codes]

    # (type, items) pairs, once per distinct pair, with the row reader's own profile
    t_codes, t_values = _encode(get("type") if "type" in col else None, n)
    i_codes, i_values = _encode(get("items") if "items" in col else None, n)
    pair = t_codes.astype(np.int64) * len(i_values) + i_codes
    pairs, pair_at = distinct(pair, len(t_values) * len(i_values))
    kinds, keys, need_points, need_amount, ranges = [], [], [], [], []
    for p in pairs.tolist():
        prof = checks.profile(t_values[p // len(i_values)], i_values[p % len(i_values)])
        if prof.errors or prof.type is None or prof.institution or prof.type in REFERRING:
            # (institution events: the fold, with the roster they need; a correction or
            # a decision: the fold, with the findings it refers to)
            return None
        kinds.append(KIND[prof.type])
        keys.append(prof.items)
        need_points.append(bool(prof.points_items))
        need_amount.append(prof.amount_item is not None)
        ranges.append(prof.ranges)
    kind = np.asarray(kinds, np.int8)[pair_at]
    key_list = list(dict.fromkeys(keys))
    key_of = {k: i for i, k in enumerate(key_list)}
    key = np.asarray([key_of[k] for k in keys], np.int32)[pair_at]

    # people: every row names one; codes in sorted order
    # (Arrow sorts text by its UTF-8 bytes: the order of code points, Python's order)
    if isinstance(col["person"], pa.ChunkedArray):
        col["person"] = col["person"].combine_chunks()
    people = col["person"].dictionary_encode()
    rank = pc.array_sort_indices(people.dictionary).to_numpy()
    codes = people.dictionary.take(rank).to_pylist()
    if codes[0] == "":  # ("" sorts first)
        return None
    where = np.empty(len(rank), np.int32)
    where[rank] = np.arange(len(rank), dtype=np.int32)
    pid = where[people.indices.to_numpy(zero_copy_only=False)]
    del people

    # ids: each given once; none shaped like the `file:line` of a row without one
    file = display(path)
    ids_col = get("id")
    if isinstance(ids_col, pa.ChunkedArray):
        ids_col = ids_col.combine_chunks()
    if ids_col is not None:
        if pc.any(pc.match_substring(ids_col, ":")).as_py():
            return None
        given = pc.not_equal(ids_col, "")
        named = pc.sum(given).as_py() or 0
        if vector.different(ids_col) - (named < n) != named:  # ("" among them, if any)
            return None
        missing = np.flatnonzero(~given.to_numpy(zero_copy_only=False))
    else:
        missing = np.arange(n)

    # points, amount and end: only where the row's items take them, and well formed
    amount_s, points_s, end_s = get("amount"), get("points"), get("end")
    na = np.asarray(need_amount)[pair_at]
    npts = np.asarray(need_points)[pair_at]
    has_amount = _filled(amount_s, n)
    has_points = _filled(points_s, n)
    if _filled(end_s, n).any():
        return None
    if (na & ~has_amount).any() or (npts != has_points).any():
        return None
    amount = points = None
    if has_amount.any():
        amount = _typed(amount_s, has_amount, values, "amount")
        if amount is None or problems.items:
            return None
    if has_points.any():
        points = _typed(points_s, has_points, values, "points")
        if points is None or problems.items:
            return None
        for r in np.flatnonzero(has_points).tolist():
            v = points[r]
            for it in ranges[pair_at[r]]:
                if not it.low <= v <= it.high:
                    return None
            if policy.scale.unit and v % policy.scale.unit:
                return None

    place = get("institution")
    if place is not None:
        codes_of_items = set(policy.items) | set(policy.credits)
        if any(v in codes_of_items for v in pc.unique(place).to_pylist()):
            return None  # an item code where the institution goes: cells slid
    inspection = _filled(get("inspection"), n)
    deciding = np.zeros(n, bool)
    for name in DECIDING:
        if name in col:
            deciding |= _filled(pc.utf8_trim_whitespace(col[name]), n)
    extra = [name for name in header if name not in FIELDS]
    # what _Maker makes events from, each column in one piece (a take of chunks joins
    # them each time); the rest of the table is let go
    kept = {}
    for name in ("person", "institution", "inspection", *extra):
        c = col.get(name)
        if c is not None:
            kept[name] = c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c
    ids = _Ids(ids_col, missing, file)
    make = _Maker(kept, extra, ids, day, kind, keys=key_list, key=key, file=file)
    make.amount, make.points = amount, points
    return EventColumns(
        codes,
        pid,
        day,
        kind,
        key,
        key_list,
        inspection,
        deciding,
        ids,
        amount,
        points,
        make,
        make.batch,
    )


def _cells(c, strip: bool) -> tuple[int, bool]:
    """A text column's longest cell in bytes, and (when `strip`) whether a cell has
    white space at either end (the row reader strips it, with Python's `str.strip`;
    the columns would keep it).

    Both from the column's buffers: the lengths from its offsets; each cell's first
    and last byte, an ASCII byte white space as `str.isspace` says (a table of 128),
    a cell that begins or ends with another character (an ideographic space U+3000
    is one) judged by `str.isspace` too, once per distinct character."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(c):
        return 0, False
    if not pa.types.is_string(c.type) or c.null_count:
        longest = pc.max(pc.binary_length(c)).as_py() or 0
        return longest, strip and _padded_by_characters(c)
    offsets = np.frombuffer(c.buffers()[1], np.int32, len(c) + 1, c.offset * 4)
    lo, hi = offsets[:-1], offsets[1:]
    longest = int((hi - lo).max())
    data = c.buffers()[2]
    if not strip or data is None or not longest:
        return longest, False
    data = np.frombuffer(data, np.uint8)
    filled = hi > lo
    first, last = data[lo[filled]], data[hi[filled] - 1]
    if _SPACE[first].any() or _SPACE[last].any():
        return longest, True
    wide = (first >= 0x80) | (last >= 0x80)
    if not wide.any():
        return longest, False
    rows = np.flatnonzero(filled)[wide]
    return longest, _padded_by_characters(c.take(pa.array(rows)))


_SPACE = np.array([i < 128 and chr(i).isspace() for i in range(256)], bool)


def _padded_by_characters(c) -> bool:
    """`_padded` a character at a time: each cell's first and last character, judged
    once per distinct character."""
    import pyarrow.compute as pc

    for end in (pc.utf8_slice_codeunits(c, 0, 1), pc.utf8_slice_codeunits(c, -1)):
        if any(ch.isspace() for ch in pc.unique(end).to_pylist() if ch is not None):
            return True
    return False


def _encode(c, n: int = 0) -> tuple[np.ndarray, list[str]]:
    """Each row's index into the column's distinct values, and those values."""
    import pyarrow as pa

    if c is None:
        return np.zeros(n, np.int32), [""]
    d = c.dictionary_encode()
    if isinstance(d, pa.ChunkedArray):
        d = d.combine_chunks()
    indices = d.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    return indices, d.dictionary.to_pylist()


def _filled(c, n: int) -> np.ndarray:
    import pyarrow.compute as pc

    if c is None:
        return np.zeros(n, bool)
    return pc.not_equal(c, "").to_numpy(zero_copy_only=False)


def _typed(c, rows: np.ndarray, values: Values, name: str) -> _Typed | None:
    """The values of a column at `rows` (None elsewhere), as the row reader's own
    Values.number reads them; None if one of them is not a number.

    Checked once per distinct text (a plain decimal of a few digits by one vector
    match, any other by Values.number), read when a row is asked for (the rows made
    into events, the acts whose points read them): a ledger's amounts are mostly
    read by nothing."""
    import pyarrow as pa
    import pyarrow.compute as pc

    codes, texts = _encode(c)
    used = np.zeros(len(texts), bool)
    used[codes[rows]] = True
    plain = pc.match_substring_regex(pa.array(texts, pa.string()), r"^[0-9]{1,20}(\.[0-9]{1,8})?$")
    plain = plain.to_numpy(zero_copy_only=False)
    for k in np.flatnonzero(used & ~plain).tolist():
        if not texts[k] or values.number(texts[k], 0, name) is None:
            return None
    return _Typed(codes, texts, rows, values, name)


class _Typed(Sequence):
    """A column's typed values, read once per distinct text when first asked."""

    def __init__(self, codes: np.ndarray, texts: list[str], rows: np.ndarray, values, name):
        self.codes, self.texts, self.rows = codes, texts, rows
        self.values, self.name = values, name
        self.memo: dict[int, Any] = {}

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, r: int) -> Any:  # type: ignore[override]  # (no slices)
        if not self.rows[r]:
            return None
        k = int(self.codes[r])
        v = self.memo.get(k)
        if v is None:
            v = self.memo[k] = self.values.number(self.texts[k], 0, self.name)
        return v


class _Ids:
    """Row ids, read from the column when asked (`file:line` where a row gives none)."""

    def __init__(self, c, missing: np.ndarray, file: str):
        self.c = c
        self.missing = set(missing.tolist())
        self.file = file

    def __getitem__(self, r: int) -> str:
        r = int(r)
        if self.c is None or r in self.missing:
            return f"{self.file}:{r + 2}"
        return self.c[r].as_py()

    def take(self, rows: np.ndarray) -> list[str]:
        import pyarrow as pa

        if self.c is None:
            return [f"{self.file}:{r + 2}" for r in rows.tolist()]
        got = self.c.take(pa.array(rows, pa.int64())).to_pylist()
        if self.missing:
            for n, r in enumerate(rows.tolist()):
                if r in self.missing:
                    got[n] = f"{self.file}:{r + 2}"
        return got

    def texts(self, rows: np.ndarray):
        """The ids of these rows as an Arrow array (for the records' text)."""
        import pyarrow as pa

        if self.c is not None and not self.missing:
            return self.c.take(pa.array(rows, pa.int64()))
        return pa.array(self.take(rows), pa.string())


class _Maker:
    """A row of the columns as the row reader's Event (for the fold and the steps
    that fire)."""

    def __init__(self, col, extra, ids, day, kind, keys, key, file):
        from engine.ledger.rows import EVENT_TYPES

        self.col, self.extra, self.ids = col, extra, ids
        self.day, self.kind, self.keys, self.key = day, kind, keys, key
        self.file = file
        self.types = EVENT_TYPES
        self.amount: Any = None  # (a _Typed each, or None)
        self.points: Any = None
        self.dates: dict[int, _dt.date] = {}

    def __call__(self, r: int) -> Event:
        return self.batch(np.array([r], np.int64))[0]

    def batch(self, rows: np.ndarray) -> list[Event]:
        """The events of these rows, made a column at a time."""
        import pyarrow as pa

        take = pa.array(rows, pa.int64())

        def cells(name: str) -> list:
            c = self.col.get(name)
            if c is None:
                return [""] * len(rows)
            return [v.strip() for v in c.take(take).to_pylist()]

        dates = self.dates
        for o in np.unique(self.day[rows]).tolist():
            if o not in dates:
                dates[o] = _dt.date.fromordinal(o)
        extra = [(name, cells(name)) for name in self.extra]
        types, keys = self.types, self.keys
        amount, points, ids, file = self.amount, self.points, self.ids, self.file
        out = []
        for n, (r, eid, o, k, key, who, place, insp) in enumerate(
            zip(
                rows.tolist(),
                ids.take(rows),
                self.day[rows].tolist(),
                self.kind[rows].tolist(),
                self.key[rows].tolist(),
                cells("person"),
                cells("institution"),
                cells("inspection"),
                strict=True,
            )
        ):
            attrs = {name: vs[n] for name, vs in extra if vs[n]} if extra else None
            out.append(
                event(
                    eid,
                    who,
                    dates[o],
                    types[k],
                    keys[key],
                    place or None,
                    insp or None,
                    None if amount is None else amount[r],
                    None if points is None else points[r],
                    None,
                    attrs or NO_ATTRS,
                    file,
                    r + 2,
                    r,
                )
            )
        return out
