"""Stage "report": the corrections' trails (evaluation/trail.py) as rows a reader scans.

One row per correction: what it was (type, date, 文号, reason), whose finding and
what it said before and after, what changed (each action with its old and new
dates, `; ` between), and the days served in error with their stretches. The
CSV beside a report (`NAME.corrections.csv`), the workbook's sheet, the table's
section and the HTML report's section all read these rows; the JSON keeps the
full trail (`corrections` in the document).
"""

from __future__ import annotations

from engine.evaluation.outcome import plain
from engine.numbers import number_text

COLUMNS = [
    "correction",
    "type",
    "date",
    "document",
    "reason",
    "person",
    "finding",
    "finding_date",
    "original",
    "corrected",
    "changes",
    "served_in_error_days",
    "served_in_error",
]


def finding_text(e) -> str:
    """`C1`, `LOSS amount 12000`, `X1 2 points`: a finding's items and decided values."""
    text = "|".join(e.items)
    if e.points is not None:
        text += f" {number_text(e.points)}"
    if e.amount is not None:
        text += f" amount {plain(e.amount)}"
    return text


def change_text(c) -> str:
    def span(a) -> str:
        return f"{plain(a.start)}" + (f"..{plain(a.end)}" if a.end else "")

    if c.old is None:
        return f"{c.action} {span(c.new)} added"
    if c.new is None:
        return f"{c.action} {span(c.old)} removed"
    return f"{c.action} {span(c.old)} -> {span(c.new)}"


def rows(trails: list) -> list[list]:
    out = []
    for t in trails:
        row = t.correction
        out.append(
            [
                row.id,
                row.type,
                row.date,
                row.attrs.get("document") or "",
                row.attrs.get("reason") or "",
                t.person,
                t.original.id,
                t.original.date,
                finding_text(t.original),
                "" if t.corrected is None else finding_text(t.corrected),
                "; ".join(change_text(c) for c in t.changes),
                sum(s.days for s in t.served_in_error),
                "; ".join(f"{plain(s.start)}..{plain(s.end)}" for s in t.served_in_error),
            ]
        )
    return out


def csv_text(trails: list) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    w.writerows(rows(trails))
    return buf.getvalue()
