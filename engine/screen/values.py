"""Which claim values do not fit their column's type, named by file, line and column.

The screen's query casts each claim column it reads to its type (`plan.py`). A
value that does not fit (an amount `abc`, a date `01/04/2025`) makes the engine
stop with its own message: in English, about one value, and for Parquet without
a row. When that happens the claims are read once more here, by a vector query
that tries each cast (`TRY_CAST(x AS T) IS NULL AND x IS NOT NULL` is a value
the cast refuses), one thread so the rows come in the file's order, as record
batches counted as they arrive; reading stops at the `LIMIT`-th problem. Only
the error path pays for this: a file whose values all fit is read once.

A CSV line is the row's number plus the header's line (a quoted cell that holds
a line break would shift it; claims exports do not write those). A Parquet file
has no lines: its row number is given instead.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from engine.errors import Diagnostic, Span
from engine.i18n import N_, _

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

LIMIT = 50  # problems listed, as for a ledger (engine/ledger/tables.py)
_SHOWN = 40  # characters of a bad value quoted

MESSAGES = {
    "empty": N_("claims `{path}` is empty: no header and no lines"),
    "empty-hint": N_(
        "export the claim lines with a header row: claim_id, person, institution, "
        "date, amount, and the columns the rules read"
    ),
    "row": N_("row {row}: "),
    "DATE": N_("column `{column}`: `{value}` is not a date"),
    "DATE-hint": N_("write dates as YYYY-MM-DD, e.g. 2025-04-01"),
    "DECIMAL": N_("column `{column}`: `{value}` is not an amount"),
    "DECIMAL-hint": N_(
        "an amount in yuan, below 10^16, without thousands separators, e.g. 1234.50"
    ),
    "DOUBLE": N_("column `{column}`: `{value}` is not a number"),
    "DOUBLE-hint": N_("a number, e.g. 7 or 3.5"),
    "BOOLEAN": N_("column `{column}`: `{value}` is not true or false"),
    "BOOLEAN-hint": N_("write true or false, or leave the cell empty"),
    "limit": N_("too many problems; stopping after {n}"),
    "limit-hint": N_("fix these and run again"),
}

# the diagnostic code of a value that does not fit, by the SQL type it is cast to
# (the ledger's codes for the same mistakes: docs/ledger.md)
CODES = {"DATE": "date", "DECIMAL": "amount", "DOUBLE": "value", "BOOLEAN": "value"}


def empty(kind: str, files: list[str]) -> Diagnostic | None:
    """`error[empty]` for the first file with nothing in it (no bytes; for CSV, nothing
    but white space), which the engines would otherwise read as a table without the
    columns the screen needs, one error a column."""
    for f in files:
        try:
            size = os.path.getsize(f)
            head = b""
            if kind == "csv" and size:
                with open(f, "rb") as fh:
                    head = fh.read(65536)
        except OSError:
            continue  # the engine reports what it cannot read
        if size == 0 or (len(head) == size and not head.strip(b"\xef\xbb\xbf \t\r\n")):
            return Diagnostic(
                "empty", _(MESSAGES["empty"]).format(path=f), Span(f), _(MESSAGES["empty-hint"])
            )
    return None


def problems(
    con: duckdb.DuckDBPyConnection, kind: str, files: list[str], casts: dict[str, str]
) -> list[Diagnostic]:
    """Every value of `casts`' columns (column -> SQL type) the cast refuses, in file
    and row order, up to LIMIT (then a `limit` notice)."""
    import pyarrow.compute as pc

    found: list[Diagnostic] = []
    con.execute("SET threads = 1")  # rows in the file's order
    con.execute("SET preserve_insertion_order = true")
    for f in files:
        reading = source(kind, [f])
        present = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {reading}").fetchall()}
        checked = [(c, t) for c, t in casts.items() if c in present and _base(t) in CODES]
        if not checked:
            continue
        picks = ", ".join(
            f"CASE WHEN TRY_CAST({_q(c)} AS {t}) IS NULL AND {_q(c)} IS NOT NULL "
            f"THEN CAST({_q(c)} AS VARCHAR) END AS {_q(c)}"
            for c, t in checked
        )
        reader = batches(con.sql(f"SELECT {picks} FROM {reading}"), 65536)
        row = 0
        for batch in reader:
            bad = pc.is_valid(batch.column(0))
            for i in range(1, batch.num_columns):
                bad = pc.or_(bad, pc.is_valid(batch.column(i)))
            if pc.any(bad).as_py():
                for j in pc.indices_nonzero(bad).to_pylist():
                    for (column, sqltype), values in zip(checked, batch.columns, strict=True):
                        value = values[j].as_py()
                        if value is not None:
                            found.append(_problem(kind, f, row + j, column, sqltype, value))
                    if len(found) >= LIMIT:
                        found.append(
                            Diagnostic(
                                "limit",
                                _(MESSAGES["limit"]).format(n=LIMIT),
                                Span(f),
                                _(MESSAGES["limit-hint"]),
                            )
                        )
                        return found
            row += batch.num_rows
    return found


def _problem(kind: str, f: str, row: int, column: str, sqltype: str, value: str) -> Diagnostic:
    base = _base(sqltype)
    shown = value if len(value) <= _SHOWN else value[:_SHOWN] + "…"
    message = _(MESSAGES[base]).format(column=column, value=shown)
    if kind == "csv":
        span = Span(f, row + 2)  # the header is line 1
    else:
        span = Span(f)
        message = _(MESSAGES["row"]).format(row=row + 1) + message
    return Diagnostic(CODES[base], message, span, _(MESSAGES[base + "-hint"]))


def batches(relation: duckdb.DuckDBPyRelation, rows: int) -> pa.RecordBatchReader:
    """A DuckDB query's rows as Arrow record batches, read as the engine makes them
    (`to_arrow_reader` in DuckDB 2, `fetch_arrow_reader` before)."""
    reader = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
    return reader(rows)


def _base(sqltype: str) -> str:
    return sqltype.split("(")[0].strip().upper()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def source(kind: str, files: list[str]) -> str:
    """The engine's reader over the claims file(s): Parquet by name across files, CSV
    with every column as text (the plan casts; an id `00123` keeps its zeros)."""
    listed = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
    if kind == "parquet":
        return f"read_parquet({listed}, union_by_name = true)"
    return f"read_csv({listed}, header = true, all_varchar = true)"
