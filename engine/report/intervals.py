"""`evaluate --format intervals`: each person's status as date intervals, CSV or Parquet.

The table the claims screen joins against (`evaluation/intervals.py` says how
it is read from the outcome), on its own: one row per stretch of days on which
a person may not bill, with its scope (the person, or one institution), status,
the action behind it, first and last day (empty: open-ended), article and
source. CSV is written as text like the other reports; Parquet needs pyarrow.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from engine.evaluation.intervals import COLUMNS, Interval
from engine.evaluation.outcome import iso


def csv_chunks(intervals: Iterable[Interval]) -> Iterator[str]:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for n, iv in enumerate(intervals, 1):
        w.writerow(
            [
                iv.person,
                iv.scope,
                iv.institution or "",
                iv.status,
                iv.action,
                iso(iv.start),
                iso(iv.end) or "",
                iv.cite,
                iv.source,
            ]
        )
        if n % 5000 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def arrow_table(intervals: Iterable[Interval]):
    """The intervals as an Arrow table (dates as date32, an open end as null)."""
    import pyarrow as pa

    cols: dict[str, list] = {c: [] for c in COLUMNS}
    for iv in intervals:
        for c in COLUMNS:
            cols[c].append(getattr(iv, c))
    schema = pa.schema(
        [(c, pa.date32() if c in ("start", "end") else pa.string()) for c in COLUMNS]
    )
    return pa.Table.from_pydict(cols, schema=schema)


def write_parquet(intervals: Iterable[Interval], f) -> None:
    import pyarrow.parquet as pq

    pq.write_table(arrow_table(intervals), f)
