"""Stage "evaluate", its timelines: a person's status on every date, as spans.

`evaluate(..., as_of=D)` answers for one date. A claim-time service (engine/serve)
asks "may P bill on D?" for any D, thousands of times a second, so it keeps each
person's answers as spans: from this date on, this status, this re-application
date, this sanction in force. A span list is what `evaluate` would say as of
every date, folded once:

- the person's own events (and their sites' institution events) are folded by
  the evaluator itself, one date at a time, each date through `Evaluator.fold_day`
  as `evaluate` folds it (docs/semantics.md, "Same day": a person's findings of a
  date are one step, the date's other events in a fixed order), so the order of
  the rows within a date never matters here either;
- between two event dates, time alone changes a status only at a date one of
  the person's actions names: a sanction starts, a suspension ends (the day
  after its last day a queued one starts, or the person is restored or awaits
  re-application), a site's cascade ends, a ban ends. The fold is brought up to
  each such date (`Evaluator.advance`) and the status read there
  (`Evaluator.status_on`), exactly as `evaluate` brings a person up to its
  as-of date and reads it;
- consecutive dates with the same answer make one span;
- under `decisions.take_effect: on-decision` (evaluation/decisions.py) the answer
  on a date is the status in force as `evaluate` gives it as of that date, with
  the decisions dated on or before it made (a sanction decided on D binds from D
  to its computed end), and the computed status beside it while a sanction is
  only proposed (`proposed_status`). A decision's date is then a date the answer
  may change on, as a sanction's start is. Under on-computation a decision only
  records itself on the sanction it decides (`Sanction.decision`).

Nothing here knows what a status means: the evaluator decides every answer, and
tests/test_serve_timeline.py checks the spans against `evaluate` as of every
date where anything happens, and the days either side.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from itertools import chain
from typing import NamedTuple

from engine.calendar import ONE_DAY
from engine.evaluation.decisions import ON_DECISION, Decisions
from engine.evaluation.fold import Evaluator
from engine.evaluation.outcome import ActionRec
from engine.evaluation.state import PersonState
from engine.ledger.corrections import Decision
from engine.ledger.read import Event, Ledger, Person
from engine.policy.model import Policy

FIRST_DAY = _dt.date.min
# what Decisions.settle marks on an action (outcome.ActionExtra), undone before each date
_MARKS = ("decision", "proposed", "in_force_from")


def _START(a: ActionRec) -> _dt.date:
    return a.start


_FAR = _dt.date(9000, 12, 31)

# The action that puts a person in each status other than active.
_BEHIND = {"suspended": "suspend", "awaiting_reapplication": "suspend", "terminated": "terminate"}


class Sanction(NamedTuple):
    """The action behind a status, as it stood on the span's first day."""

    action: str
    start: _dt.date
    end: _dt.date | None
    cite: str
    source: str
    events: tuple[str, ...]
    institution: str | None  # a cascade's site
    # the decision that decided it ({event, document, date}: issue 22 §2), and under
    # on-decision the date it binds from when later than its start
    decision: dict | None = None
    in_force_from: _dt.date | None = None

    @classmethod
    def of(cls, rec: ActionRec) -> Sanction:
        extra = rec.extra
        return cls(
            rec.action,
            rec.start,
            rec.end,
            rec.cite,
            rec.source,
            tuple(rec.events),
            extra.get("institution"),
            extra.get("decision"),
            extra.get("in_force_from"),
        )


class StatusSpan(NamedTuple):
    """From `start` (inclusive) until the next span's start: the answer `evaluate` gives
    as of any date in between."""

    start: _dt.date
    status: str
    reapply_from: _dt.date | str | None
    sanction: Sanction | None
    # under on-decision, while the computed status is not in force: that status and the
    # sanction behind it, proposed until decided
    proposed_status: str | None = None
    proposed_sanction: Sanction | None = None

    def same_answer(self, other: StatusSpan) -> bool:
        return self[1:] == other[1:]


class Timeline:
    """Status spans of people, one person at a time, under one policy.

    `roster`: the people on the roster (their sites and attributes), as the
    evaluation of the whole ledger would see them. The evaluator is made once and
    lent to each person in turn (making one costs more than folding a few events).
    """

    def __init__(self, policy: Policy, roster: dict[str, Person] | None):
        # (its as-of date is never read here: each status is read as of its own date;
        # a far one, not date.max, which the evaluator's own date arithmetic overflows)
        self.roster = roster or {}
        self.ledger = Ledger([], roster, {})
        self.evaluator = Evaluator(policy, self.ledger, _FAR, set(), None)
        self.evaluator.institutions = None  # no institution is judged here
        self.policy = policy
        self.on_decision = policy.take_effect == ON_DECISION
        self.known: list[tuple[_dt.date, Decisions]] = []  # (from, the decisions made by then)

    def spans(
        self, code: str, events: Sequence[Event], decisions: Sequence[Decision] = ()
    ) -> list[StatusSpan]:
        """The person's spans, the first from FIRST_DAY. `events`: theirs and their
        sites' institution events, in date order (any order within a date);
        `decisions`: the decisions on their findings (ledger/corrections.py), any order."""
        ev = self.evaluator
        self.known = self._known(decisions) if decisions or self.on_decision else []
        made = sorted({d for d, _ in self.known if d > FIRST_DAY})
        ev.states.clear()
        ev.off_roster.clear()
        ev.inst_list.clear()
        ev.step_points.clear()
        # a site's institution event reaches this person alone (as the service's
        # record of one person folds it, serve/service.py)
        person = self.roster.get(code)
        self.ledger.staff = {site: [code] for site in person.institutions} if person else {}
        st = ev.state(code)
        out: list[StatusSpan] = []
        self._note(st, FIRST_DAY, out)
        i, n = 0, len(events)
        d = FIRST_DAY
        seen = _mark(st)
        change = _next_change(st, d, made)
        while True:
            upcoming = events[i].date if i < n else None
            if upcoming is not None and (change is None or upcoming <= change):
                d = upcoming
                j = i
                while j < n and events[j].date == d:
                    j += 1
                ev.fold_day(list(events[i:j]))  # the date as evaluate folds it
                if ev.points.case is not None:  # a row the policy refuses (scoring.py)
                    ev.points.case.raise_refused()
                i = j
            elif change is not None:
                d = change
            else:
                return out
            ev.advance(st, d)
            # A date only events brought, after which nothing the answer reads has
            # changed, gives the answer already noted (an answer that moves with time
            # alone moves on a date `_next_change` names, which is always noted), and
            # leaves the next such date where it was (the state it is read from is
            # the same, and no date it could name lies between): most findings,
            # which fire nothing. Skipping them halves the time.
            now = _mark(st)
            if now == seen and change != d:
                continue
            seen = now
            self._note(st, d, out)
            change = _next_change(st, d, made)

    def _known(self, decisions: Sequence[Decision]) -> list[tuple[_dt.date, Decisions]]:
        """The decisions made by each decision's date, from FIRST_DAY (none made)."""
        empty = Ledger([], None, {})
        out = []
        mine: list[Decision] = []
        for when in [FIRST_DAY, *sorted({d.row.date for d in decisions})]:
            mine = [d for d in decisions if d.row.date <= when]
            empty.decisions = mine
            out.append((when, Decisions(self.policy, empty)))
        return out

    def _note(self, st: PersonState, d: _dt.date, out: list[StatusSpan]) -> None:
        status, reapply_from = self.evaluator.status_on(st, d)
        if not self.known:
            span = StatusSpan(d, status, reapply_from, _behind(st, status, d))
        else:
            span = self._decided(st, d, status, reapply_from)
        if not out or not out[-1].same_answer(span):
            out.append(span)

    def _decided(self, st: PersonState, d: _dt.date, status: str, reapply_from) -> StatusSpan:
        """The answer on `d` with the decisions made by then, as `evaluate` as of `d`
        settles it (Decisions.settle): the status in force, and the computed one when
        it differs."""
        decided = self.known[0][1]
        for when, found in self.known:
            if when <= d:
                decided = found
        actions = sorted(chain(st.actions, st.site_actions), key=_START)
        for a in actions:  # (marks of an earlier date's decisions undone)
            for mark in _MARKS:
                a.extra.pop(mark, None)  # type: ignore[misc]
        status, reapply_from, proposed = decided.settle(st.code, status, reapply_from, actions, d)
        return StatusSpan(
            d,
            status,
            reapply_from,
            _behind(st, status, d, in_force=self.on_decision),
            proposed,
            None if proposed is None else _behind(st, proposed, d),
        )


def _mark(st: PersonState) -> tuple:
    """What a person's answer is read from (`status_on`, `_behind`), as a value that
    changes whenever it does."""
    return (
        st.status,
        len(st.actions),
        len(st.site_actions),
        st.suspension,
        len(st.queue),
        st.reapply_from,
        st.awaiting_from,
    )


def _behind(st: PersonState, status: str, d: _dt.date, in_force: bool = False) -> Sanction | None:
    """The action that puts the person in `status` on `d`: the latest-started suspension
    or termination (their own or a site's cascade) running on `d`; for a person
    awaiting re-application, the latest suspension that has ended. A sanction marked
    `superseded_by` never took effect and is behind nothing; `in_force` (on-decision):
    nor is one proposed, or decided after `d`."""
    kind = _BEHIND.get(status)
    if kind is None:
        return None
    ended = status == "awaiting_reapplication"
    best: ActionRec | None = None
    for a in chain(st.actions, st.site_actions):
        if a.action != kind or a.start is None or a.start > d or "superseded_by" in a.extra:
            continue  # (a superseded sanction never took effect: docs/semantics.md)
        if in_force and ("proposed" in a.extra or a.extra.get("in_force_from", d) > d):
            continue
        over = a.end is not None and a.end < d
        if over is not ended:
            continue
        if best is None or a.start >= best.start:
            best = a
    return None if best is None else Sanction.of(best)


def _next_change(st: PersonState, d: _dt.date, made: Sequence[_dt.date]) -> _dt.date | None:
    """The first date after `d` that one of the person's actions names (a start, or the
    day after a last day), the re-application date, or a decision's date (`made`, in
    order): where time alone may change their status."""
    found: _dt.date | None = None
    for when in made:
        if when > d:
            found = when
            break
    running = [st.suspension] if st.suspension is not None else []
    for a in chain(st.actions, st.site_actions, st.queue, running):
        x = a.start
        if x is not None and x > d and (found is None or x < found):
            found = x
        end = a.end
        if isinstance(end, _dt.date) and end < _dt.date.max:
            x = end + ONE_DAY
            if x > d and (found is None or x < found):
                found = x
    for x in (st.reapply_from, st.awaiting_from):
        if isinstance(x, _dt.date) and x > d and (found is None or x < found):
            found = x
    return found


def span_on(spans: Sequence[StatusSpan], d: _dt.date) -> StatusSpan:
    """The span in force on `d` (spans as `Timeline.spans` gives them)."""
    lo, hi = 0, len(spans)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if spans[mid].start <= d:
            lo = mid
        else:
            hi = mid
    return spans[lo]
