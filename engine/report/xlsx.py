"""Stage "report", for Excel and WPS: `evaluate --format xlsx`, written with openpyxl.

Four sheets, one row per record, as an analyst filters and sums them:

- people: person, status on the as-of date, the date a re-application can
  succeed, the institutions the person practises at;
- cycles: person, cycle, registration, points deducted, score, tier, violations;
- actions: person, action, start, end, article, source, and the institution for
  an action taken because of one;
- institutions: institution, cycle, staff, sanctioned, and each action with its
  article;
- across a regulation's history only, findings: each finding's person, event,
  decision and act dates, the version that scored it, its items there, the points
  and why that version (从旧兼从轻, docs/semantics.md), with the points under each
  version compared. Under one policy (and no correction) the workbook has the four
  sheets alone.
- corrections, when the ledger has any: each correction with the finding before
  and after it, what it changed and the days served in error
  (report/corrections.py).

Cells are typed (dates as dates, numbers as numbers, so Excel sorts and sums
them), every sheet has a frozen header row, an autofilter and column widths
that fit its headings and usual contents. Headings are in the chosen language;
codes, tier ids and articles are the policy's own words.

The workbook is written in openpyxl's write-only mode, which streams rows to
the file rather than building every cell as an object first.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from engine.evaluation.outcome import Outcome, plain
from engine.i18n import N_, _
from engine.report.table import word

# (key, heading, width in characters)
SHEETS: dict[str, list[tuple[str, str, int]]] = {
    "people": [
        ("person", N_("person"), 16),
        ("status", N_("status"), 14),
        ("reapply_from", N_("re-apply from"), 14),
        ("institutions", N_("institutions"), 24),
        ("next_band", N_("next band"), 14),
        ("points_away", N_("points away"), 10),
    ],
    "cycles": [
        ("person", N_("person"), 16),
        ("period", N_("cycle"), 10),
        ("registration", N_("registration"), 8),
        ("deducted", N_("deducted"), 10),
        ("score", N_("score"), 10),
        ("tier", N_("tier"), 16),
        ("violations", N_("violations"), 10),
    ],
    "actions": [
        ("person", N_("person"), 16),
        ("action", N_("action"), 14),
        ("start", N_("start"), 12),
        ("end", N_("end"), 12),
        ("cite", N_("article"), 14),
        ("source", N_("source"), 16),
        ("institution", N_("institution"), 14),
    ],
    "institutions": [
        ("institution", N_("institution"), 14),
        ("period", N_("cycle"), 10),
        ("staff", N_("staff"), 8),
        ("sanctioned", N_("sanctioned"), 10),
        ("action", N_("action"), 18),
        ("start", N_("start"), 12),
        ("end", N_("end"), 12),
        ("cite", N_("article"), 14),
    ],
    "findings": [
        ("person", N_("person"), 16),
        ("event", N_("event"), 14),
        ("date", N_("decided"), 12),
        ("occurred", N_("act occurred"), 12),
        ("version", N_("version"), 12),
        ("items", N_("items"), 16),
        ("points", N_("points"), 8),
        ("basis", N_("basis"), 24),
        ("compared", N_("points under each version"), 26),
    ],
}
SHEETS["corrections"] = [
    ("correction", N_("correction"), 14),
    ("type", N_("type"), 10),
    ("date", N_("date"), 12),
    ("document", N_("document"), 22),
    ("reason", N_("reason"), 24),
    ("person", N_("person"), 16),
    ("finding", N_("finding"), 14),
    ("finding_date", N_("finding date"), 12),
    ("original", N_("original"), 16),
    ("corrected", N_("corrected"), 16),
    ("changes", N_("changes"), 48),
    ("served_in_error_days", N_("days served in error"), 12),
    ("served_in_error", N_("served in error"), 26),
]
TITLES = {  # sheet names (capitalised: a sheet's name, not a column's)
    "people": N_("People"),
    "cycles": N_("Cycles"),
    "actions": N_("Actions"),
    "institutions": N_("Institutions"),
    "findings": N_("Findings by version"),
    "corrections": N_("Corrections"),
}
BASES = {  # a finding's `basis` (evaluation/lenity.py) in words
    "in_force": N_("the version in force"),
    "old_rule": N_("the old rule (从旧)"),
    "lighter": N_("the lighter new rule (从轻)"),
    "no_longer_counted": N_("no longer counted (从轻)"),
    "not_counted_then": N_("not a violation when done"),
}
DATE_FORMAT = "yyyy-mm-dd"


def _cell(v: Any) -> Any:
    """A value as Excel should hold it: dates as dates, exact points as numbers."""
    if isinstance(v, Fraction):
        return int(v) if v.denominator == 1 else float(v)
    if isinstance(v, (_dt.date, int, float)) or v is None:
        return v
    return str(plain(v))


def _rows(outcome: Outcome) -> dict[str, Iterable[list[Any]]]:
    def people():
        for p in outcome.people:
            rf = p.reapply_from
            yield [
                p.person,
                word(p.status),
                rf if rf != "never" else _("never"),
                ", ".join(p.institutions),
                *(p.next_band or (None, None)),
            ]

    def cycles():
        for p in outcome.people:
            for c in p.cycles:
                yield [
                    p.person,
                    c.period,
                    c.registration,
                    c.deducted,
                    c.score,
                    c.tier,
                    c.violations,
                ]

    def actions():
        for p in outcome.people:
            for a in (*p.actions, *getattr(p, "site_actions", ())):
                yield [
                    p.person,
                    word(a.action),
                    a.start,
                    a.end,
                    a.cite,
                    a.source,
                    a.extra.get("institution") if a.extra else None,
                ]

    def institutions():
        for i in outcome.institutions:
            if not i.actions:
                yield [i.institution, i.period, i.staff, i.sanctioned, None, None, None, None]
            for a in i.actions:
                yield [
                    i.institution,
                    i.period,
                    i.staff,
                    i.sanctioned,
                    word(a.action),
                    a.start,
                    a.end,
                    a.cite,
                ]

    def findings():
        for p in outcome.people:
            for f in (p.history or {}).get("findings", ()):
                compared = f.get("compared")
                yield [
                    p.person,
                    f["event"],
                    _dt.date.fromisoformat(f["date"]),
                    _dt.date.fromisoformat(f["occurred"]),
                    f["version"],
                    ", ".join(f["items"]),
                    f["points"],
                    _(BASES[f["basis"]]),
                    None
                    if compared is None
                    else "; ".join(
                        f"{v}: {'-' if pts is None else pts}" for v, pts in compared.items()
                    ),
                ]

    sheets = {
        "people": people(),
        "cycles": cycles(),
        "actions": actions(),
        "institutions": institutions(),
    }
    if outcome.versions is not None:  # a regulation's history
        sheets["findings"] = findings()
    if outcome.corrections:  # only then: other workbooks keep their four sheets
        from engine.report.corrections import rows

        sheets["corrections"] = rows(outcome.corrections)
    return sheets


def write_xlsx(outcome: Outcome, path: str) -> None:
    """The workbook of an outcome, written to `path`."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for key, rows in _rows(outcome).items():
        columns = SHEETS[key]
        ws = wb.create_sheet(_(TITLES[key]))
        ws.freeze_panes = "A2"
        for n, (_key, _heading, width) in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(n)].width = width
        head = []
        for _key, heading, _width in columns:
            c = WriteOnlyCell(ws, value=_(heading))
            c.font = bold
            head.append(c)
        ws.append(head)
        count = 0
        for row in rows:
            cells = []
            for v in row:
                value = _cell(v)
                if isinstance(value, _dt.date):
                    c = WriteOnlyCell(ws, value=value)
                    c.number_format = DATE_FORMAT
                    cells.append(c)
                else:
                    cells.append(value)
            ws.append(cells)
            count += 1
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    wb.save(path)
