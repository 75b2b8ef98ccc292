"""Carry a ledger read under one policy over to another, for `policyctl diff --events`.

The ledger reader checks every event against the policy it will be evaluated
under (item codes exist, range items have their decided points, items priced
by the fund loss have `amount`), so the ledger is read once per policy. Under
the new policy the findings are first restated in its codes, through the item
pairing of the diff (the `--map` file, else same code or same text):

- a code with no counterpart (mapped to null, or removed) is dropped from the
  act, and the drop is noted against the person;
- a code the new policy cannot price from what the finding recorded (an item
  computed from `amount` on a finding with no amount, a range item with no
  decided `points` or one outside the new range) is dropped likewise: "cannot
  be evaluated under NEW: item FRAUD needs amount";
- an act left with no code is left out of the new ledger, noted;
- two old codes that map to one new code count once in that act;
- a decided `points` value is kept only when a new item reads it.

The restated rows are written to a temporary CSV (original ids kept) and read
by the ledger reader under the new policy, so the new ledger is checked
exactly as `evaluate` would check it; every event and every problem is then
pointed back at the original file and line.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

from engine.errors import Diagnostic, LedgerError, Span
from engine.i18n import N_, _, known
from engine.ledger.read import FIELDS, Event, Ledger, read_ledger
from engine.numbers import decimal_text, number_text
from engine.policy.model import Item, Policy


@dataclass(frozen=True)
class Note:
    """A finding that could not be carried over whole."""

    person: str
    event: str
    where: str  # file:line of the finding
    code: str  # the old item code concerned
    target: str | None  # the new code it maps to, if any
    reason: str  # "no counterpart" | "needs amount" | "needs points" | "points outside range"
    text: str  # in English, as the JSON gives it (the same in both languages)
    dropped: bool  # the whole finding was left out
    # `text`'s message and its values, to say it in the reader's language (`said`)
    message: str = dataclasses.field(default="", repr=False)
    values: tuple[tuple[str, str], ...] = dataclasses.field(default=(), repr=False)

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        del d["message"], d["values"]
        return d

    @property
    def said(self) -> str:
        """`text` in the chosen language, for the text and Markdown reports."""
        if not self.message:
            return known(self.text)
        return _(self.message).format(**dict(self.values))

    @property
    def short(self) -> str:
        """The note in a few words, for a list of causes."""
        head = self.code if self.target is None else f"{self.code} as {self.target}"
        return f"{head} {self.reason}" + (f" ({self.event} left out)" if self.dropped else "")


def carry_over(
    ledger: Ledger,
    new: Policy,
    code_map: dict[str, str | None],
    events_path: str,
    roster: str | None,
    encoding: str | None = None,
    columns: bool = False,
) -> tuple[Ledger, list[Note]]:
    """The ledger restated in `new`'s codes and read under it, with what did not carry.

    `columns`: read the restated ledger with the columnar reader (the same checks
    and messages, engine/columnar/read.py) and return it as `EventColumns` in the
    ledger's place (its `events` empty): for a side the columnar plan evaluates
    (compare/impact.py), which needs no `Event` but for the rows it folds."""
    rows: list[list[str]] = []
    origin: list[tuple[str, int]] = []
    notes: list[Note] = []
    extra = sorted({k for e in ledger.events for k in e.attrs})
    # what a finding restates to, by what _restate reads of it (notes name the finding:
    # a finding with notes is restated on its own)
    restated: dict[tuple, tuple[tuple[str, ...], bool]] = {}
    dates: dict[object, str] = {}
    for e in ledger.events:
        items, points = e.items, e.points
        if e.type in ("violation", "credit"):
            catalogue = new.items if e.type == "violation" else new.credits
            key = (e.type, e.items, e.amount is None, e.points)
            done = restated.get(key)
            if done is not None:
                items, keep_points = done
                event_notes = []
            else:
                items, keep_points, event_notes = _restate(e, catalogue, code_map)
                if not event_notes:
                    restated[key] = (items, keep_points)
            if not items:
                event_notes = [dataclasses.replace(n, dropped=True) for n in event_notes]
            notes += event_notes
            if not items:
                continue
            points = e.points if keep_points else None
        rows.append(
            [
                e.id,
                e.person or "",
                dates.get(e.date) or dates.setdefault(e.date, e.date.isoformat()),
                e.type,
                "|".join(items),
                e.institution or "",
                e.inspection or "",
                decimal_text(e.amount),
                decimal_text(points),
                e.end.isoformat() if e.end else "",
                e.occurred.isoformat() if e.occurred else "",
            ]
            + [e.attrs.get(k, "") for k in extra]
        )
        origin.append((e.file, e.line))
    with tempfile.TemporaryDirectory(prefix="policyctl-diff-") as tmp:
        path = Path(tmp) / "events.csv"
        lines = _write(path, list(FIELDS) + extra, rows)
        where = dict(zip(lines, origin, strict=True))
        try:
            if columns:
                from engine.columnar.read import read_columns

                carried, cols = read_columns(str(path), new, roster, "utf-8")
                return _Carried(carried, cols, where, str(path)), notes
            carried = read_ledger(str(path), new, roster, encoding="utf-8")
        except LedgerError as exc:
            raise LedgerError(
                [_repoint(d, str(path), where, events_path) for d in exc.diagnostics]
            ) from None
    for e in carried.events:
        e.file, e.line = where[e.line]
    return carried, notes


class _Carried(Ledger):
    """A carried-over ledger as columns (`carry_over(columns=True)`): the rows it hands
    back as events point at the original file and line, as the row reader's do."""

    def __init__(self, ledger: Ledger, cols, where: dict[int, tuple[str, int]], tmp: str):
        super().__init__([], ledger.roster, ledger.staff)
        make, batch = cols.make, cols.batch

        def repoint(events: list[Event]) -> list[Event]:
            for e in events:
                if e.file == tmp:  # (the row reader's events are handed back as they are)
                    e.file, e.line = where[e.line]
            return events

        cols.make = lambda r: repoint([make(r)])[0]
        if batch is not None:
            cols.batch = lambda rows: repoint(batch(rows))
        self.columns = cols


# What a note says, by its reason (`Note.reason`), in English in the JSON and in the
# reader's language in the text and Markdown reports
MESSAGES = {
    "no counterpart": N_("{code} has no counterpart under NEW"),
    "needs amount": N_("cannot be evaluated under NEW: item {target} needs amount"),
    "needs points": N_("cannot be evaluated under NEW: item {target} needs decided points"),
    "points outside range": N_(
        "cannot be evaluated under NEW: points {points} outside item {target}'s range "
        "{low} to {high}"
    ),
}


def _restate(
    e: Event, catalogue: dict[str, Item], code_map: dict[str, str | None]
) -> tuple[tuple[str, ...], bool, list[Note]]:
    out: list[str] = []
    notes: list[Note] = []
    keep_points = False
    where = f"{e.file}:{e.line}"

    def note(old: str, reason: str, message: str, new: str | None = None, **values) -> None:
        said = tuple((k, str(v)) for k, v in values.items())
        text = message.format(**values)
        notes.append(Note(e.person, e.id, where, old, new, reason, text, False, message, said))

    for code in e.items:
        target = code_map.get(code, code)
        if target is None or target not in catalogue:
            note(code, "no counterpart", MESSAGES["no counterpart"], code=code)
            continue
        if target in out:
            continue
        item = catalogue[target]
        if "amount" in item.needs and e.amount is None:
            note(
                code,
                "needs amount",
                MESSAGES["needs amount"],
                target,
                target=target,
            )
            continue
        if item.points_kind == "band":  # its grade may place the value (scoring.py decides)
            keep_points = keep_points or e.points is not None
        elif "points" in item.needs:
            if e.points is None:
                note(
                    code,
                    "needs points",
                    MESSAGES["needs points"],
                    target,
                    target=target,
                )
                continue
            if item.points_kind == "range" and not item.low <= e.points <= item.high:
                note(
                    code,
                    "points outside range",
                    MESSAGES["points outside range"],
                    target,
                    points=number_text(e.points),
                    target=target,
                    low=number_text(item.low),
                    high=number_text(item.high),
                )
                continue
            keep_points = True
        out.append(target)
    return tuple(out), keep_points, notes


def _write(path: Path, header: list[str], rows: list[list[str]]) -> list[int]:
    """Write the CSV; return the line each row starts on."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    line = 2
    starts = []
    for row in rows:
        before = buf.tell()
        w.writerow(row)
        starts.append(line)
        buf.seek(before)
        line += buf.read().count("\n")
    path.write_text(buf.getvalue(), encoding="utf-8")
    return starts


def _repoint(d: Diagnostic, tmp: str, where: dict[int, tuple[str, int]], events: str) -> Diagnostic:
    if d.span is None or d.span.file != tmp:
        return d
    file, line = where.get(d.span.line, (events, 0))
    return dataclasses.replace(d, span=Span(file, line), message=d.message + " (under NEW)")
