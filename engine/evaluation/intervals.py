"""Stage "evaluate", read as time: a person's status as non-overlapping date intervals.

Input: a finished `PersonOutcome` (its actions by start date) and the policy's
restoration; output: `Interval`s, each a stretch of days on which the person
may not bill in the regulation's sense: `suspended`, `terminated`, or
`awaiting_reapplication` (a suspension is over but the policy wants a
re-application first). Days outside every interval are `active`. This is what
the claims screen joins claim lines against, and what `evaluate --format
intervals` writes.

- **Person scope.** A suspension covers its start to its last day; a
  termination from its start to the day before a reinstatement (open while
  none). Under `restoration: reapplication`, the days after a suspension's end
  until the re-application is accepted are `awaiting_reapplication`. Where
  these overlap (a harsher sanction replacing a milder one, awaiting while a
  new suspension runs) the harsher status holds the day: terminated, then
  suspended, then awaiting.
- **Institution scope.** A cascade (the institution's own agreement suspended
  or ended) covers claims at that institution only; the same precedence holds
  between cascades at one site. Person and institution intervals are kept
  apart: a claim at a site meets at most one of each, and the screen takes the
  harsher.
- `end` is the last day (inclusive); None is open-ended.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from engine.calendar import ONE_DAY
from engine.evaluation.outcome import PersonOutcome

SUSPENDED, TERMINATED, AWAITING = "suspended", "terminated", "awaiting_reapplication"

# which status holds a day when several would: the harsher
RANK = {TERMINATED: 3, SUSPENDED: 2, AWAITING: 1}

COLUMNS = (
    "person",
    "scope",
    "institution",
    "status",
    "action",
    "start",
    "end",
    "cite",
    "source",
)


class Interval(NamedTuple):
    person: str
    scope: str  # person | institution
    institution: str | None  # the site, for an institution-scoped interval
    status: str  # suspended | terminated | awaiting_reapplication
    action: str  # the action behind it: suspend | terminate
    start: _dt.date
    end: _dt.date | None  # last day; None: open-ended
    cite: str  # the article
    source: str  # what fired the action: tier:ID, rule:ID, item:CODE, cascade


class _Raw(NamedTuple):
    status: str
    start: _dt.date
    end: _dt.date | None
    action: str
    cite: str
    source: str


Restoration = str | Callable[[_dt.date], tuple[str, str]]


def person_intervals(
    person: PersonOutcome,
    restoration: Restoration,
    restoration_cite: str | None,
    in_force: bool = True,
) -> list[Interval]:
    """The person's status intervals, person scope first, then each site's.

    `restoration`: the policy's `restoration.by` (with its article), or, across a
    regulation's history, how the version in force on a day says a person whose
    suspension is over then comes back (History.restoration_on).

    `in_force`: only the sanctions in force, under a policy whose sanctions bind on a
    decision (evaluation/decisions.py): a proposed one gives no interval, a decided one
    holds from its decision's date (`in_force_from`). False: as computed."""
    # a superseded sanction never took effect (docs/semantics.md, Sanctions): no interval
    own = [
        a
        for a in person.actions
        if a.institution is None
        and "superseded_by" not in a.extra
        and not (in_force and "proposed" in a.extra)
    ]
    back = sorted(a.start for a in own if a.action in ("restore", "reinstate"))
    raw: list[_Raw] = []
    for a in own:
        start = a.extra.get("in_force_from", a.start) if in_force and a.extra else a.start
        if a.end is not None and start > a.end:
            continue  # decided after its last day: never in force
        if a.action == "suspend":
            end = a.end if a.end is not None else _day_before(_next(back, a.start))
            raw.append(_Raw(SUSPENDED, start, end, a.action, a.cite, a.source))
            by, cite = (
                (restoration, restoration_cite)
                if isinstance(restoration, str)
                else restoration(a.end + ONE_DAY)
                if a.end is not None
                else ("", "")
            )
            if by == "reapplication" and a.end is not None:
                await_end = _day_before(_next(back, a.end))
                if await_end is None or await_end > a.end:
                    raw.append(
                        _Raw(
                            AWAITING,
                            a.end + ONE_DAY,
                            await_end,
                            a.action,
                            cite,
                            a.source,
                        )
                    )
        elif a.action == "terminate":
            end = _day_before(_next(back, a.start))
            if end is not None and start > end:
                continue
            raw.append(_Raw(TERMINATED, start, end, a.action, a.cite, a.source))
    out = [
        Interval(
            person.person, "person", None, r.status, r.action, r.start, r.end, r.cite, r.source
        )
        for r in _sweep(raw)
    ]
    sites: dict[str, list[_Raw]] = {}
    for a in person.actions:
        if a.institution is None or a.action not in ("suspend", "terminate"):
            continue
        status = SUSPENDED if a.action == "suspend" else TERMINATED
        end = a.end if a.action == "suspend" else None
        sites.setdefault(a.institution, []).append(
            _Raw(status, a.start, end, a.action, a.cite, a.source)
        )
    for site in sorted(sites):
        out.extend(
            Interval(
                person.person,
                "institution",
                site,
                r.status,
                r.action,
                r.start,
                r.end,
                r.cite,
                r.source,
            )
            for r in _sweep(sites[site])
        )
    return out


def intervals(
    people: Iterable[PersonOutcome], restoration: Restoration, restoration_cite: str | None
) -> Iterator[Interval]:
    """Every person's intervals, in the people's order."""
    for p in people:
        if p.actions:
            yield from person_intervals(p, restoration, restoration_cite)


def _next(days: list[_dt.date], after: _dt.date) -> _dt.date | None:
    """The first day in the sorted list strictly after `after`."""
    return next((d for d in days if d > after), None)


def _day_before(d: _dt.date | None) -> _dt.date | None:
    return None if d is None else d - ONE_DAY


def _sweep(raw: list[_Raw]) -> list[_Raw]:
    """Overlapping intervals -> non-overlapping ones, the harsher status holding each
    day (between equals, the later-starting one); neighbours from one interval merge."""
    if not raw:
        return []
    cuts = sorted({r.start for r in raw} | {r.end + ONE_DAY for r in raw if r.end is not None})
    out: list[_Raw] = []
    for i, lo in enumerate(cuts):
        hi = cuts[i + 1] - ONE_DAY if i + 1 < len(cuts) else None
        cover = [r for r in raw if r.start <= lo and (r.end is None or r.end >= lo)]
        if not cover:
            continue
        best = max(cover, key=lambda r: (RANK[r.status], r.start))
        if out and out[-1].end is not None and out[-1].end + ONE_DAY == lo and _same(out[-1], best):
            out[-1] = out[-1]._replace(end=hi)
        else:
            out.append(best._replace(start=lo, end=hi))
    return out


def _same(a: _Raw, b: _Raw) -> bool:
    return (a.status, a.action, a.cite, a.source) == (b.status, b.action, b.cite, b.source)


__all__ = ["COLUMNS", "Interval", "RANK", "intervals", "person_intervals"]
