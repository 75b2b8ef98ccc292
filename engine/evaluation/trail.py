"""Stage "evaluate": the trail a correction leaves (issue 22 §1).

The fold evaluates every person as if each corrected finding had always been
as corrected (ledger/corrections.py hands it the ledger so). An auditor, a
court or the person concerned needs more than that result: what the finding
was, what corrected it, and what the correction changed. For each correction
(`revoke`, `amend`), in date order, the person is evaluated twice more, on
their own events and their sites' institution events:

- *before*: with the corrections dated before it applied (this one and later
  ones not yet made),
- *after*: with this one applied too,

both as of the report's date. The trail then says:

- `original`: the finding as it stood before the correction (its items,
  points, amount, file and line), and `corrected` as it stands after (None
  for a revocation);
- `changes`: every action that differs, paired by kind (and site, for a
  cascade) in order of their start, with its old and new dates and what fired
  each (a suspension of 3 months from `tier:suspend-3m` that became one of 6
  from `tier:suspend-6m` is one change); an action only before is `removed`,
  only after `added`;
- the status and the date from which a re-application can succeed, before and
  after, when they differ;
- `served_in_error`: the days before the correction's date on which the
  person could not bill (suspended, terminated, awaiting re-application) under
  the finding as it stood, yet could have under the corrected one: a sanction
  already served that should not have been, which may ground a claim for
  compensation (国家赔偿法 art. 4 for an administrative sanction; the
  agreement's own terms for a suspension of the service agreement).

Each correction is judged against the ledger as it stood when it was made,
not against the final one, so a finding amended twice shows what each
amendment changed.
"""

from __future__ import annotations

import datetime as _dt
import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.calendar import ONE_DAY
from engine.evaluation.intervals import person_intervals
from engine.evaluation.outcome import ActionRec, PersonOutcome, iso, plain
from engine.ledger.read import INSTITUTION_TYPES, Event, Ledger
from engine.policy.model import Policy
from engine.policy.versions import History

# the statuses on which a person may not bill (evaluation/intervals.py)
NOT_BILLING = ("suspended", "terminated", "awaiting_reapplication")


@dataclass
class Change:
    """One action the correction changed: before and after (None: none)."""

    action: str
    old: ActionRec | None
    new: ActionRec | None

    @property
    def kind(self) -> str:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "changed"

    def as_dict(self) -> dict:
        def side(a: ActionRec | None) -> dict | None:
            if a is None:
                return None
            d = {
                "start": iso(a.start),
                "end": iso(a.end),
                "source": str(a.source),
                "cite": a.cite,
            }
            if a.institution:
                d["institution"] = a.institution
            if "superseded_by" in a.extra:
                d["superseded_by"] = str(a.extra["superseded_by"])
            return d

        return {
            "action": str(self.action),
            "change": self.kind,
            "old": side(self.old),
            "new": side(self.new),
        }


@dataclass
class Served:
    """Days already served under a sanction the corrected finding does not support."""

    start: _dt.date
    end: _dt.date
    status: str
    action: str
    cite: str
    source: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def as_dict(self) -> dict:
        return {
            "from": iso(self.start),
            "to": iso(self.end),
            "days": self.days,
            "status": str(self.status),
            "action": str(self.action),
            "cite": self.cite,
            "source": str(self.source),
        }


@dataclass
class Trail:
    """What one correction changed for its person."""

    person: str
    correction: Event  # the revoke or amend row
    original: Event  # the finding before it
    corrected: Event | None  # the finding after it (None: revoked)
    changes: list[Change] = field(default_factory=list)
    status: tuple[str, str] = ("", "")  # before, after
    reapply_from: tuple[Any, Any] = (None, None)
    served_in_error: list[Served] = field(default_factory=list)

    def as_dict(self) -> dict:
        row = self.correction
        d: dict[str, Any] = {
            "correction": row.id,
            "type": row.type,
            "date": iso(row.date),
            "person": self.person,
            "document": row.attrs.get("document"),
            "reason": row.attrs.get("reason"),
            "where": f"{row.file}:{row.line}",
            "original": _finding(self.original),
            "corrected": None if self.corrected is None else _finding(self.corrected),
            "changes": [c.as_dict() for c in self.changes],
        }
        if self.status[0] != self.status[1]:
            d["status"] = {"old": str(self.status[0]), "new": str(self.status[1])}
        if self.reapply_from[0] != self.reapply_from[1]:
            d["reapply_from"] = {
                "old": plain(self.reapply_from[0]),
                "new": plain(self.reapply_from[1]),
            }
        d["served_in_error"] = [s.as_dict() for s in self.served_in_error]
        return d


def _finding(e: Event) -> dict:
    d: dict[str, Any] = {
        "event": e.id,
        "date": iso(e.date),
        "items": list(e.items),
        "where": f"{e.file}:{e.line}",
    }
    if e.points is not None:
        d["points"] = plain(e.points)
    if e.amount is not None:
        d["amount"] = plain(e.amount)
    if e.inspection:
        d["inspection"] = e.inspection
    if e.institution:
        d["institution"] = e.institution
    return d


Evaluate = Callable[[Any, Ledger, _dt.date, str], PersonOutcome]


class Trails:
    """The trails of a ledger's corrections, worked out on demand (after the fold).

    Made when the evaluator is made, while the ledger is whole: it keeps, of the
    people with a correction, their events and their sites' institution events, so
    that the evaluator may let the ledger go once folded (api._fold does)."""

    def __init__(
        self,
        policy: Policy | History,
        ledger: Ledger,
        corrections: list,
        as_of: _dt.date,
        evaluate: Evaluate,
    ):
        """`policy`: one policy, or a regulation's history (each person is then evaluated
        again across its versions, as the fold evaluates them: `evaluate` says how);
        `ledger`: as recorded (its findings uncorrected); `corrections`: those made by
        the as-of date."""
        self.policy = policy
        self.as_of = as_of
        self.evaluate = evaluate
        self.corrections = list(corrections)
        self.decisions = list(ledger.decisions)
        people = {c.person for c in self.corrections}
        roster = ledger.roster or {}
        self.sites = {s for p in people if p in roster for s in roster[p].institutions}
        self.events: dict[str, list[Event]] = {p: [] for p in people}
        self.site_events: list[Event] = []
        for e in ledger.events:
            self.add(e)
        self.roster = {p: roster[p] for p in people if p in roster}

    def add(self, e: Event) -> None:
        """Keep a row of the ledger as recorded, if a trail needs it: the events of the
        people with a correction, their sites' institution events. (A ledger folded as
        a stream hands its rows here as they pass: Evaluator.stream_known.)"""
        mine = self.events.get(e.person)
        if mine is not None:
            mine.append(e)
        elif e.type in INSTITUTION_TYPES and e.institution in self.sites:
            self.site_events.append(e)

    def trails(self) -> list[Trail]:
        """Each correction's trail, by person, in date order.

        Each person is evaluated again, twice or more, and each of those evaluations
        leaves a few reference cycles (an evaluator and its parts) that only the cyclic
        collector frees, which the fold pauses (fold.paused_gc), so that they would
        pile up: 45 MB for 1,000 corrections (bench/corrections.py). What the run holds
        so far is frozen (gc.freeze: the collector does not walk it), and the
        evaluations' garbage collected every 128 people, a walk over it alone."""
        out: list[Trail] = []
        by_person: dict[str, list] = {}
        for c in self.corrections:
            by_person.setdefault(c.person, []).append(c)
        gc.freeze()
        try:
            for n, (person, mine) in enumerate(sorted(by_person.items())):
                first: dict[Any, Any] = {}  # target -> the finding before any correction
                for c in mine:
                    first.setdefault(c.target, c.before)
                outcomes = [self._outcome(person, mine[:k], first) for k in range(len(mine) + 1)]
                for k, c in enumerate(mine):
                    out.append(_trail(c, outcomes[k], outcomes[k + 1], self.policy))
                if n % 128 == 127:
                    gc.collect()
            gc.collect()
        finally:
            gc.unfreeze()
        return out

    def _outcome(self, person: str, applied: list, first: dict[str, Event]) -> PersonOutcome:
        """The person's outcome with only the corrections in `applied` made."""
        version: dict[str, Event | None] = dict(first)
        for c in applied:
            version[c.target] = c.after
        events = [e for e in self.events[person] if e.id not in version]
        events += [e for e in version.values() if e is not None]
        sites = self.roster[person].institutions if person in self.roster else []
        events += [e for e in self.site_events if e.institution in sites]
        events.sort(key=lambda e: (e.date, e.seq))
        staff = {s: [person] for s in sites}
        roster = {person: self.roster[person]} if person in self.roster else None
        ledger = Ledger(events, roster, staff)
        ledger.decisions = [d for d in self.decisions if d.person == person]
        return self.evaluate(self.policy, ledger, self.as_of, person)


def _trail(c, before: PersonOutcome, after: PersonOutcome, policy: Policy | History) -> Trail:
    return Trail(
        c.person,
        c.row,
        c.before,
        c.after,
        changes(before.actions, after.actions),
        (before.status, after.status),
        (before.reapply_from, after.reapply_from),
        served_in_error(before, after, c.row.date, policy),
    )


def changes(old: list[ActionRec], new: list[ActionRec]) -> list[Change]:
    """The actions that differ, paired by (kind, site) in start order: the i-th
    suspension before with the i-th after. Pairs alike in dates, what fired them and
    what superseded them are no change."""

    def groups(actions: list[ActionRec]) -> dict[tuple, list[ActionRec]]:
        out: dict[tuple, list[ActionRec]] = {}
        for a in actions:
            out.setdefault((a.action, a.institution or ""), []).append(a)
        return out

    a, b = groups(old), groups(new)
    out: list[Change] = []
    for key in sorted(set(a) | set(b)):
        xs, ys = a.get(key, []), b.get(key, [])
        for i in range(max(len(xs), len(ys))):
            x = xs[i] if i < len(xs) else None
            y = ys[i] if i < len(ys) else None
            if x is not None and y is not None and _same(x, y):
                continue
            out.append(Change(key[0], x, y))
    out.sort(key=lambda c: ((c.old or c.new).start, c.action))  # type: ignore[union-attr]
    return out


def _same(x: ActionRec, y: ActionRec) -> bool:
    def key(a: ActionRec) -> tuple:
        return (a.start, a.end, a.source, a.extra.get("superseded_by"))

    return key(x) == key(y)


def restoration_of(policy: Policy | History) -> tuple:
    """How people come back, as status intervals read it: the policy's, or across a
    history the version in force when each suspension is over."""
    if isinstance(policy, History):
        return policy.restoration_on, None
    return policy.restoration, policy.restoration_cite


def served_in_error(
    before: PersonOutcome, after: PersonOutcome, made: _dt.date, policy: Policy | History
) -> list[Served]:
    """The days before `made` (the correction's date) on which the person could not
    bill as the finding stood, and could have as corrected (person scope: a site's own
    suspension is no finding's doing)."""
    last = made - ONE_DAY
    back = restoration_of(policy)
    old = [
        iv
        for iv in person_intervals(before, *back)
        if iv.scope == "person" and iv.status in NOT_BILLING and iv.start <= last
    ]
    new = [
        iv
        for iv in person_intervals(after, *back)
        if iv.scope == "person" and iv.status in NOT_BILLING
    ]
    out: list[Served] = []
    for iv in old:
        lo, hi = iv.start, min(iv.end or last, last)
        # the stretch, less the days the corrected finding still keeps the person out
        pieces = [(lo, hi)]
        for jv in new:
            pieces = [p for piece in pieces for p in _minus(piece, jv.start, jv.end)]
        for a, b in pieces:
            out.append(Served(a, b, iv.status, iv.action, iv.cite, iv.source))
    return out


def _minus(piece, start: _dt.date, end: _dt.date | None):
    lo, hi = piece
    end = end or _dt.date.max
    if end < lo or start > hi:
        return [piece]
    out = []
    if start > lo:
        out.append((lo, start - ONE_DAY))
    if end < hi:
        out.append((end + ONE_DAY, hi))
    return out
