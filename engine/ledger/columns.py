"""The columns of a ledger: the names the engine reads, and rows made as wide as the header.

Only names live here, not meanings: which column holds what is fixed by the
header (lower-cased by tables.py), and a row is checked for its width before
any of its cells is read, so a cell that slid into its neighbour's column
(an unquoted comma) is an error rather than a wrong value.
"""

from __future__ import annotations

from engine.errors import LedgerError, closest
from engine.ledger.tables import Problems, Table

# The columns the engine reads of an event, in the order the reader unpacks them.
FIELDS = (
    "id",
    "person",
    "date",
    "type",
    "items",
    "institution",
    "inspection",
    "amount",
    "points",
    "end",
)
REQUIRED_EVENT_COLUMNS = ("date", "person")
REQUIRED_ROSTER_COLUMNS = ("person", "institution")


def columns(table: Table, required, problems: Problems) -> dict[str, int]:
    """Each header name's position; a missing required column is a `column` error."""
    index = {name: i for i, name in enumerate(table.header)}
    missing = [c for c in required if c not in index]
    if missing:
        missing_columns(missing, table.header, table, problems)
    return index


def fit(row: list[str], width: int, line: int, problems: Problems) -> bool:
    """Make a row as wide as the header: pad a short one, trim empty trailing cells;
    False (and a `format` error) when it has more filled cells than columns."""
    if len(row) < width:
        row.extend([""] * (width - len(row)))
        return True
    if any(c.strip() for c in row[width:]):
        problems.add(
            "format",
            f"the row has {len(row)} cells but the header has {width} columns",
            line,
            "quote cells that contain a comma",
        )
        return False
    del row[width:]
    return True


def missing_columns(
    missing: list[str], header: list[str], table: Table, problems: Problems
) -> None:
    """Report each missing column, with the header's names and the nearest of them."""
    line = table.header_line or 1
    for name in missing:
        near = closest(name, header)
        hint = f"did you mean `{near}`? " if near else ""
        hint += "the header has: " + (", ".join(header) or "nothing")
        if any("\t" in h or ";" in h for h in header):
            hint += "; the file looks tab- or semicolon-separated: save it as CSV (commas)"
        problems.add("column", f"missing column `{name}`", line, hint)
    raise LedgerError(problems.items)
