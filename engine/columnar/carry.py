"""`diff --events` on columns: the ledger read once, carried over a column at a time.

compare/carryover.py carries a ledger over to the new policy a finding at a time:
every finding restated in Python, the restated rows written to a CSV and that
CSV read again under the new policy. On a city's ledger that was a third of
`diff --events`. Here the file is read by Arrow once (read.py), and:

- the old side's columns are read.py's, checked under OLD by its own checks;
- what a finding restates to depends only on its type, its item list, whether it
  gives an amount and its decided points, so carryover's own `_restate` (passed in:
  this stage comes before compare/) runs
  once per distinct combination (and once per finding only for the findings it
  has notes on, which name the finding);
- the new side is the same Arrow table with its items column replaced (and a
  decided value blanked where no new item reads it), checked under NEW by
  read.py's own checks: exactly the checks the carried-over CSV went through.
  Its rows are the file's rows, so every event names its file and line as it is.

A finding left with no code at all leaves the new table, and its events are
renumbered to name their line in the file (`_renumber`). Whatever this cannot
hold exactly is carried over the row way (None): a file Arrow does not read or
read.py's checks hand to the row reader (under OLD or NEW: the row reader then
names each problem, under NEW with carryover's repointing), and findings left
out of a file in which some row has no id (the carried-over file names it by
its own line there).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from engine.columnar.columns import KIND, EventColumns
from engine.columnar.read import _arrow_columns, _csv, _parquet
from engine.ledger.rows import NO_ATTRS, Event, event
from engine.ledger.tables import rereadable
from engine.policy.model import Policy

_RESTATED = {KIND["violation"]: "items", KIND["credit"]: "credits"}

# compare/carryover.py's `_restate` with the diff's item pairing: a finding and the
# new catalogue (items or credits) -> (new codes, keep the decided value, notes)
Restate = Callable[[Event, dict], tuple[tuple[str, ...], bool, list]]


def read_both(
    events: str,
    old: Policy,
    new: Policy,
    restate: Restate,
    encoding: str | None,
) -> tuple[EventColumns, EventColumns, list] | None:
    """The ledger as columns under OLD, carried over to NEW as columns, and the notes of
    what did not carry (`restate`'s, in carryover.py's order); None: carry it the row way."""
    if not rereadable(events) or encoding not in (None, "utf-8", "utf8"):
        return None
    suffix = Path(events).suffix.lower()
    if suffix == ".parquet":
        read = _parquet(events)
    elif suffix in (".xlsx", ".jsonl", ".ndjson"):
        return None
    else:
        read = _csv(events)
    if read is None:
        return None
    before = _arrow_columns(events, old, read)
    if before is None:
        return None
    header, table = read
    carried = _carry(before, header, table, new, restate)
    if carried is None:
        return None
    table, kept, notes = carried
    after = _arrow_columns(events, new, (header, table))
    if after is None:
        return None
    if kept is not None:
        _renumber(after, np.flatnonzero(kept))
    return before, after, notes


def _renumber(cols: EventColumns, rows: np.ndarray) -> None:
    """The events of a carried-over table that left findings out name the file's line
    of their row, as carryover.py's repointing does (their `seq`, their place in the
    carried-over ledger, stays what the row way gives it)."""
    make, batch = cols.make, cols.batch
    lines = (rows + 2).tolist()

    def fix(events: list[Event]) -> list[Event]:
        for e in events:
            e.line = lines[e.seq]
        return events

    cols.make = lambda r: fix([make(r)])[0]
    if batch is not None:
        cols.batch = lambda rs: fix(batch(rs))


def _carry(
    cols: EventColumns, header: list[str], table: Any, new: Policy, restate: Restate
) -> tuple[Any, np.ndarray | None, list] | None:
    """The table restated in NEW's codes (items; points blanked where no new item reads
    them; findings left with no code left out), the rows kept (None: all), and the
    notes; None where findings are left out of a file whose rows do not all have an
    id (the row way names the others by their line in the carried-over file)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if "items" not in header:
        return None
    n = len(cols)
    has_amount = _filled(table, header, "amount", n)
    decided = cols.points
    # a row's restatement: by (kind, item list, amount given, decided value)
    group = (cols.key.astype(np.int64) * 16 + cols.kind) * 2 + has_amount
    values: list[Any] = [None]
    if decided is not None:
        at = np.flatnonzero(_filled(table, header, "points", n))
        index: dict[Any, int] = {}
        value_of = np.zeros(n, np.int64)
        for r in at.tolist():
            v = decided[r]
            k = (type(v), v)
            i = index.get(k)
            if i is None:
                i = index[k] = len(values)
                values.append(v)
            value_of[r] = i
        group = group * (len(values)) + value_of
    groups, group_at = np.unique(group, return_inverse=True)
    texts: list[str] = []
    keep: list[bool] = []
    noted: list[int] = []
    dropped: list[int] = []
    for g, first in zip(groups.tolist(), _firsts(group_at, len(groups)).tolist(), strict=True):
        kind = int(cols.kind[first])
        items = cols.keys[int(cols.key[first])]
        section = _RESTATED.get(kind)
        if section is None:  # (a re-application: carried as it is)
            texts.append("|".join(items))
            keep.append(True)
            continue
        catalogue = new.items if section == "items" else new.credits
        amount = 0 if has_amount[first] else None
        points = values[g % len(values)] if decided is not None else None
        out, keep_points, said = restate(_stub(kind, items, amount, points), catalogue)
        if not out:
            dropped.append(len(texts))
        if said:
            noted.append(len(texts))
        texts.append("|".join(out))
        keep.append(keep_points)
    # the notes name their findings: each noted finding restated on its own, in the
    # order carry_over meets them (the row reader's: by date, then file order)
    notes: list = []
    if noted:
        rows = np.flatnonzero(np.isin(group_at, np.asarray(noted)))
        rows = rows[np.lexsort((rows, cols.day[rows]))]
        for e in cols.events(rows):
            catalogue = new.items if e.type == "violation" else new.credits
            notes += restate(e, catalogue)[2]
    kept = None
    if dropped:
        if "id" not in header or not _filled(table, header, "id", n).all():
            return None
        kept = ~np.isin(group_at, np.asarray(dropped))
    items_at = header.index("items")
    new_items = pa.array(texts, pa.string()).take(pa.array(group_at, pa.int64()))
    table = table.set_column(items_at, table.column_names[items_at], new_items)
    blank = ~np.asarray(keep, bool)[group_at]
    if "points" in header and blank.any():
        p_at = header.index("points")
        column = pc.if_else(pa.array(blank), "", table.column(p_at))
        table = table.set_column(p_at, table.column_names[p_at], column)
    if kept is not None:
        table = table.filter(pa.array(kept))
    return table, kept, notes


def _firsts(group_at: np.ndarray, groups: int) -> np.ndarray:
    """The first row of each group."""
    first = np.full(groups, len(group_at), np.int64)
    np.minimum.at(first, group_at, np.arange(len(group_at)))
    return first


def _filled(table: Any, header: list[str], name: str, n: int) -> np.ndarray:
    import pyarrow.compute as pc

    if name not in header:
        return np.zeros(n, bool)
    return pc.not_equal(table.column(header.index(name)), "").to_numpy(zero_copy_only=False)


def _stub(kind: int, items: tuple[str, ...], amount, points) -> Event:
    """A finding with only what `_restate` reads of it (a note names the real one)."""
    from engine.ledger.rows import EVENT_TYPES

    return event(
        "", "", None, EVENT_TYPES[kind], items, None, None, amount, points, None, NO_ATTRS, "", 0, 0
    )


def movers_events(cols: EventColumns):
    """What gives the events of the people named, by person, in the order the row reader
    gives them (by date, then file order): for compare/impact.py's attribution, which
    reads only the events of the people whose outcome moves, a block of them at a time."""
    index: dict[str, int] = {}

    def of(people: list[str]) -> dict[str, list[Event]]:
        out: dict[str, list[Event]] = {}
        if not people:
            return out
        if not index:
            index.update((c, i) for i, c in enumerate(cols.codes))
        named = np.zeros(len(cols.codes) + 1, bool)  # (the last: an institution's row, -1)
        named[[index[c] for c in people if c in index]] = True
        rows = np.flatnonzero(named[cols.pid])
        rows = rows[np.lexsort((rows, cols.day[rows]))]
        for e in cols.events(rows):
            out.setdefault(e.person, []).append(e)
        return out

    return of
