"""Corrections to findings (`revoke`, `amend`) and decisions on sanctions (`decision`).

Findings are reviewed (复核) and appealed (Jining 六(一), Zhanjiang 第二十二条、
第二十三条); some are overturned, some have their items or points changed. A
ledger records that as a new row, never by deleting or editing the old one:

- `revoke`, with `target` = the finding's id: the finding no longer counts,
  from the start;
- `amend`, with `target` and the corrected finding in `items` (and its
  `points`, `amount` where its items need them; `inspection` and
  `institution` when they change): the finding counts as amended, from the
  start. It keeps its own date and person: a finding recorded on the wrong day
  or for the wrong person is revoked, and the right one recorded anew.
- `decision`, with `target` = the finding whose sanction it decides (and
  `action` when the finding triggered several): an official's decision on a
  computed sanction, confirming it or deciding its length within the rule's
  range (`suspension`, `ban`).

Each carries its own `date`, a `reason` and the decision's reference, its 文号
(`document`).

This module reads them out of a ledger once it is whole: it checks each against
the findings (every problem at its file and line: a target that does not
exist, that is not a finding, that is already revoked, a correction dated
before its finding, an amendment that names another person), and hands on the
ledger's other rows as they were recorded, with the corrections beside them
(`Correction`, with the finding before and after each one, in date order) and
the decisions (`Decision`). What the ledger says *as of a date* (the
corrections and decisions made by then applied, the finding counted as
corrected from the start) is the evaluation's to work out
(evaluation/known.py), since an evaluation as of a date knows nothing decided
after it; the trail each correction leaves is evaluation/trail.py's, what a
decision does evaluation/decisions.py's.

Corrections and decisions refer to rows before them, so a ledger holding any is
read whole, never folded as a stream (read.py raises `NeedsWhole`).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.i18n import N_, _
from engine.ledger.rows import Event, event
from engine.ledger.tables import Problems

REVOKE, AMEND, DECISION = "revoke", "amend", "decision"
CORRECTIONS = frozenset({REVOKE, AMEND})
# what a ledger cannot be folded as a stream with: rows that refer to rows before them
REFERRING = frozenset({REVOKE, AMEND, DECISION})

# the columns these rows carry beyond the engine's own (kept in `attrs`: columns.py)
TARGET, REASON, DOCUMENT, ACTION = "target", "reason", "document", "action"
# what an amendment does not copy onto the finding: the correction's own columns
_OWN = frozenset({TARGET, REASON, DOCUMENT, ACTION})
# the decided lengths a decision gives a finding (evaluation/known.py)
DECIDED = ("suspension", "ban")
# what a row referring to a finding is told, here and by the status service, which
# resolves the targets of rows posted without their finding (serve/load.py)
MESSAGES = {
    "no_target": N_("a row of type `{type}` needs `target`: the id of the finding it concerns"),
    "no_target_hint": N_("give the finding's id, as in its own row's `id`"),
    "unknown_target": N_("no finding of the ledger has the id given in `target`"),
    "unknown_target_hint": N_("give the id of the finding (its own row's `id`)"),
}


@dataclass(slots=True)
class Correction:
    """One `revoke` or `amend` row, with the finding as it was just before it and as it
    is after it (None once revoked)."""

    row: Event
    before: Event
    after: Event | None

    @property
    def kind(self) -> str:
        return self.row.type

    @property
    def person(self) -> str:
        return self.before.person

    @property
    def target(self) -> str:
        return self.before.id


@dataclass(slots=True)
class Decision:
    """One `decision` row and the finding it decides on."""

    row: Event
    finding: Event

    @property
    def person(self) -> str:
        return self.finding.person

    @property
    def action(self) -> str | None:
        """The action kind it decides (`suspend`, `terminate`...), or None: every
        sanction the finding triggered."""
        return self.row.attrs.get(ACTION) or None


@dataclass
class Applied:
    """A ledger's events without its corrections and decisions, and those read out of it."""

    events: list[Event]
    corrections: list[Correction]
    decisions: list[Decision]


def apply(events: list[Event], problems: Problems) -> Applied:
    """The events (in date order) with each correction and decision checked against the
    findings (problems added at its line) and read out of them.

    When the file already has problems, a target no valid row has is not reported:
    it may be a row refused for a problem of its own, which is reported."""
    partial = bool(problems.items)
    # finding id -> the finding as it now stands (every finding, whatever its date: a
    # correction dated before its finding is told so, not that there is none)
    current: dict[str, Event] = {}
    line_of: dict[str, int] = {}  # any event's id -> its line (for "not a finding")
    for e in events:
        line_of.setdefault(e.id, e.line)
        if e.type == "violation":
            current.setdefault(e.id, e)
    revoked: dict[str, Event] = {}  # finding id -> the revoke row
    corrections: list[Correction] = []
    decisions: list[Decision] = []
    for e in events:
        t = e.type
        if t not in REFERRING:
            continue
        target = (e.attrs.get(TARGET) or "").strip()
        if not target:
            problems.add(
                "correction",
                _(MESSAGES["no_target"]).format(type=t),
                e.line,
                _(MESSAGES["no_target_hint"]),
            )
            continue
        finding = current.get(target)
        if finding is None:
            if target in revoked:
                problems.add(
                    "correction",
                    _("the finding in `target` was revoked at line {line}").format(
                        line=revoked[target].line
                    ),
                    e.line,
                    _("a revoked finding counts no more: record a new finding if one is due"),
                )
            elif target in line_of:
                problems.add(
                    "correction",
                    _("`target` names the event at line {line}, which is not a finding").format(
                        line=line_of[target]
                    ),
                    e.line,
                    _("only a finding (a `violation` row) is revoked, amended or decided on"),
                )
            elif not partial:
                problems.add(
                    "correction",
                    _(MESSAGES["unknown_target"]),
                    e.line,
                    _(MESSAGES["unknown_target_hint"]),
                )
            continue
        if e.date < finding.date:
            problems.add(
                "correction",
                _("dated {date}, before the finding it concerns (line {line}, {finding})").format(
                    date=e.date, line=finding.line, finding=finding.date
                ),
                e.line,
                _("a review or decision comes after its finding"),
            )
            continue
        if e.person and e.person != finding.person:
            # (neither code is quoted: no personal data in a message)
            problems.add(
                "correction",
                _(
                    "`person` differs from the finding's (line {line}): a row of type "
                    "`{type}` cannot change whom a finding concerns"
                ).format(line=finding.line, type=t),
                e.line,
                _("revoke the finding, and record a new one for the right person"),
            )
            continue
        if t == REVOKE:
            revoked[target] = e
            del current[target]
            corrections.append(Correction(_concerning(e, finding), finding, None))
        elif t == AMEND:
            amended = _amended(finding, e)
            current[target] = amended
            corrections.append(Correction(_concerning(e, finding), finding, amended))
        else:
            decisions.append(Decision(_concerning(e, finding), finding))
    kept = [e for e in events if e.type not in REFERRING]
    return Applied(kept, corrections, decisions)


def _concerning(row: Event, finding: Event) -> Event:
    """The correction row, its person filled in from the finding when left empty."""
    if row.person:
        return row
    return copied(row, person=finding.person)


def _amended(finding: Event, row: Event) -> Event:
    """The finding as the amendment restates it: its items, points and amount from the
    amendment; inspection and institution from it when given; its own id, date, person
    and order; the amendment's file and line, since the corrected values are its."""
    attrs = {k: v for k, v in finding.attrs.items()}
    attrs.update({k: v for k, v in row.attrs.items() if k not in _OWN})
    return event(
        finding.id,
        finding.person,
        finding.date,
        "violation",
        row.items,
        row.institution or finding.institution,
        row.inspection or finding.inspection,
        row.amount,
        row.points,
        None,
        attrs,
        row.file,
        row.line,
        finding.seq,
    )


def copied(e: Event, **changes) -> Event:
    """The event with `changes` to its fields (the evaluation's as-known rows too: known.py)."""
    values = {name: getattr(e, name) for name in Event.__slots__}
    values.update(changes)
    return event(**values)


__all__ = [
    "AMEND",
    "Applied",
    "CORRECTIONS",
    "Correction",
    "DECISION",
    "Decision",
    "REFERRING",
    "REVOKE",
    "apply",
    "copied",
]
