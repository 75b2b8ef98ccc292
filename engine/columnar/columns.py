"""A ledger's events as columns: what the vector work reads.

`EventColumns` holds one NumPy array per field the plan reads, a row per event in
file order, and can hand back any row as the `Event` the fold takes (`event`),
so that the people routed to the fold, and the steps that fire a band, go
through the fold's own code with the very rows the row reader would have made.

Two ways in: `from_events`, from the events of the row reader (any format it
reads: xlsx, JSON Lines, standard input, a CSV it has to name problems in), and
read.py's, straight from CSV and Parquet with Arrow.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.ledger.rows import EVENT_TYPES, Event

KIND = {t: i for i, t in enumerate(EVENT_TYPES)}  # violation 0, reapply 1, credit 2, ...
VIOLATION = KIND["violation"]
# the columns whose value decides a length (sanctions.length): a same-day step's
# finding with one goes last (fold._STEP_ORDER)
DECIDING = ("suspension", "ban")


@dataclass
class EventColumns:
    """Events as columns, in file order."""

    codes: list[str]  # every person code, sorted (as the fold orders its report)
    pid: np.ndarray  # int32 index into codes, -1 for an institution's own event
    day: np.ndarray  # int32 proleptic ordinal of the date
    kind: np.ndarray  # int8 index into EVENT_TYPES
    key: np.ndarray  # int32 index into keys: the event's item list
    keys: list[tuple[str, ...]]
    inspection: np.ndarray  # bool: the row names an inspection
    deciding: np.ndarray  # bool: the row has a `suspension` or `ban` value
    ids: Sequence[str]  # each row's id (`file:line` where it gives none)
    amount: Sequence[Any] | None  # typed values, when some row has one
    points: Sequence[Any] | None
    make: Callable[[int], Event]  # the row as the reader's Event
    batch: Callable[[np.ndarray], list[Event]] | None = None  # rows as Events, at once
    extra: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.day)

    def event(self, row: int) -> Event:
        return self.make(int(row))

    def events(self, rows: np.ndarray) -> list[Event]:
        if self.batch is not None:
            return self.batch(rows)
        make = self.make
        return [make(r) for r in rows.tolist()]


def from_events(events: list[Event]) -> EventColumns:
    """Columns of the row reader's events (kept: `event` hands them back)."""
    n = len(events)
    persons = [e.person or "" for e in events]
    codes = sorted(set(persons) - {""})
    index = {c: i for i, c in enumerate(codes)}
    index[""] = -1
    pid = np.fromiter((index[p] for p in persons), np.int32, n)
    day = np.fromiter((e.date.toordinal() for e in events), np.int32, n)
    kind = np.fromiter((KIND[e.type] for e in events), np.int8, n)
    keys_index: dict[tuple[str, ...], int] = {}
    key = np.fromiter(
        (keys_index.setdefault(e.items, len(keys_index)) for e in events), np.int32, n
    )
    inspection = np.fromiter((e.inspection is not None for e in events), bool, n)
    deciding = np.fromiter(
        (bool(e.attrs) and any(e.attrs.get(c) for c in DECIDING) for e in events), bool, n
    )
    amount = [e.amount for e in events]
    points = [e.points for e in events]
    return EventColumns(
        codes,
        pid,
        day,
        kind,
        key,
        list(keys_index),
        inspection,
        deciding,
        [e.id for e in events],
        amount if any(a is not None for a in amount) else None,
        points if any(p is not None for p in points) else None,
        events.__getitem__,
    )


def ordinal(d: _dt.date) -> int:
    return d.toordinal()
