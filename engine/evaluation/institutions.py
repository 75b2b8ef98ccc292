"""Institution rules: aggregates over one institution's staff in one cycle.

While the fold runs, `InstitutionTracker.record` keeps, for each person on a
roster, their cycle's latest snapshot (deducted, violations, sanctions), and
for each institution, every change of its staff's snapshots in date order.
Afterwards each institution and cycle is judged: its staff
are the roster's people at the institution, `sanctioned` counts those
suspended or terminated in the cycle by their own conduct (a cascade from the
institution's own sanction does not count), and each institution rule is
evaluated on the cycle's final state. A rule that holds is dated by the first
day on which it held, found by bisecting the dates on which a member changed;
this assumes the condition, once true, stays true within the cycle, which holds
for every condition built from counts that only grow.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Sequence
from itertools import chain, groupby, islice, repeat
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple

from engine import calendar
from engine.errors import EVAL_ERRORS, Diagnostic, EvaluationError
from engine.evaluation.deadlines import Deadlines
from engine.evaluation.outcome import ActionRec, InstitutionOutcome
from engine.evaluation.state import CycleState, PersonState
from engine.i18n import _
from engine.ledger.read import Event, Ledger
from engine.policy.model import Number, Policy, failure_reason
from engine.policy.scopes import Env
from engine.vocabulary import BY_EVENT, SUSPEND, TERMINATE, Source, SourceKind


class Member:
    """A staff member's cycle as institution rules see it (`m.deducted`, ...)."""

    __slots__ = (
        "person",
        "deducted",
        "score",
        "violations",
        "max_item_points",
        "suspended",
        "terminated",
        "sanctioned",
    )

    def __init__(
        self,
        person: str,
        deducted=0,
        score=0,
        violations=0,
        max_item_points=0,
        suspended=False,
        terminated=False,
    ):
        self.person, self.deducted, self.score = person, deducted, score
        self.violations, self.max_item_points = violations, max_item_points
        self.suspended, self.terminated = suspended, terminated
        self.sanctioned = suspended or terminated


class Snapshot(NamedTuple):
    """A staff member's cycle as it stands after a change: what `Member` is made of,
    its fields in `Member`'s order after `person`."""

    deducted: Number
    score: Number
    violations: int
    max_item_points: Number
    suspended: bool  # suspended in the cycle by their own conduct
    terminated: bool  # terminated in the cycle by their own conduct


class InstitutionTracker:
    """Each roster person's latest cycle records, and each institution's dated changes,
    kept during the fold."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.initial = policy.scale.initial
        self.keep_history = bool(policy.institution_rules)
        # (institution, period) -> [date, person, snapshot, date, ...]: each change of a
        # staff member's record, in date order (the fold goes in date order), when the
        # policy has institution rules to date. Kept per institution, not per person, so
        # the first-date search reads one list rather than merging its staff's, and the
        # fold appends to a few hundred lists whose ends stay in the cache.
        self.logs: dict[tuple[str, str], list] = {}
        # (period, *sites) -> the logs a person at those sites appends to, and the
        # by_site lists their record joins: one pair shared by the staff of a site
        self.log_sets: dict[tuple, tuple[tuple, tuple]] = {}
        self.shared: dict[tuple, Snapshot] = {}
        self._default = Member("", score=self.initial or 0)
        self.periods: dict[str, tuple[_dt.date, _dt.date]] = {}
        # (institution, period) where a staff member's totals fell (a credit, a
        # reinstatement), so a rule false at the end may have held before
        self.went_down: set[tuple[str, str]] = set()
        # (institution, period) -> (code, record) of each of its staff with a record in
        # that period (code order once `active_by_institution` has sorted them). The
        # record is the person's CycleState, whose `snap` is their latest snapshot: the
        # tuple of Member's fields after `person`, made a Member only when judged. Equal
        # snapshots are one tuple (`shared`): the logs hold one per finding, and most are
        # alike.
        self.by_site: dict[tuple[str, str], list[tuple[str, Any]]] = {}
        # (institution, period) -> how many of its staff were suspended or terminated in
        # the period by their own conduct, as their records stand (kept while folding)
        self.sanctioned: dict[tuple[str, str], int] = {}

    def record(self, st: PersonState, cyc: CycleState, d: _dt.date) -> None:
        """A person's cycle changed on day d: note their new snapshot."""
        logs = cyc.tracked
        if logs is None:
            logs = self.start(st, cyc)
            if logs is None:
                return
        deducted = cyc.deducted
        initial = self.initial
        values = (
            deducted,
            initial - deducted if initial is not None else -deducted,
            cyc.violations,
            cyc.max_item_points,
            cyc.suspended,
            cyc.terminated,
        )
        # equal snapshots are one object: the logs hold one per finding, most alike
        snap = self.shared.get(values)
        if snap is None:
            snap = _new_tuple(Snapshot, values)  # (C's tuple.__new__: every finding)
            if len(self.shared) < 100_000:
                self.shared[values] = snap
        before = cyc.snap
        cyc.snap = snap
        sanctioned = snap.suspended or snap.terminated
        if before is None:
            if sanctioned:
                self.count_sanctioned(st.person.institutions, cyc.period, 1)
        elif before is not snap:
            if snap.deducted < before.deducted or snap.violations < before.violations:
                # a credit, a reinstatement
                self.went_down.update((inst, cyc.period) for inst in st.person.institutions)
            if (before.suspended or before.terminated) != sanctioned:
                self.count_sanctioned(st.person.institutions, cyc.period, 1 if sanctioned else -1)
        code = st.code
        for log in logs:
            log += (d, code, snap)

    def start(self, st: PersonState, cyc: CycleState) -> tuple[list, ...] | None:
        """The logs a person's cycle goes to, at its first change (None: on no roster)."""
        sites = st.person.institutions
        if not sites:
            return None
        period = cyc.period
        which = (period, *sites)
        known = self.log_sets.get(which)
        if known is None:
            self.periods.setdefault(period, (cyc.start, cyc.end))
            if self.keep_history:
                logs = tuple(self.logs.setdefault((inst, period), []) for inst in sites)
            else:
                logs = ()
            lists = tuple(self.by_site.setdefault((inst, period), []) for inst in sites)
            known = self.log_sets[which] = (logs, lists)
        logs, lists = known
        entry = (st.code, cyc)
        for records in lists:
            records.append(entry)
        cyc.tracked = logs
        return logs

    def reregister(self, st: PersonState, old: CycleState, new: CycleState) -> None:
        """A second registration in the same cycle (a reinstatement): its record goes on
        from the first's, and stands for the person in the cycle from now on. Its total
        starts again from zero, but a suspension or termination earlier in the cycle
        still happened in it: `sanctioned` counts the person all the same."""
        new.tracked, new.snap = old.tracked, old.snap
        new.suspended, new.terminated = old.suspended, old.terminated
        if old.tracked is None:
            return
        for inst in st.person.institutions:
            records = self.by_site[(inst, old.period)]
            for i, (code, record) in enumerate(records):
                if record is old:
                    records[i] = (code, new)
                    break

    def final(self, staff: list[str], active: list[tuple[str, Any]]) -> list[Member]:
        """The staff's cycle records at the end of a period (`active`: (code, record) of
        those of the staff with a record in it).

        Staff with no finding in the period share one record (person ""), placed
        last, so list functions evaluate it once (see dsl/builtins.py).
        """
        return Members(active, len(staff) - len(active), self._default)

    def count_sanctioned(self, sites: list[str], period: str, change: int) -> None:
        for inst in sites:
            self.sanctioned[(inst, period)] = self.sanctioned.get((inst, period), 0) + change

    def changes(self, inst: str, period: str) -> Iterator[tuple[_dt.date, list[tuple]]]:
        """Each day on which a staff member's record changed in a period, in date order,
        with that day's (person, snapshot) changes in the order they were made."""
        log = self.logs.get((inst, period))
        if not log:
            return
        changes = zip(*[islice(log, i, None, 3) for i in range(3)], strict=True)
        for day, group in groupby(changes, key=_DAY):
            yield day, [(code, snap) for _, code, snap in group]

    def active_by_institution(self) -> dict[tuple[str, str], list[tuple[str, Any]]]:
        """(institution, period) -> (code, record) of the staff with a record in that
        period, in code order."""
        for records in self.by_site.values():
            records.sort(key=_CODE)
        return self.by_site


class _Staff(Sequence):
    """A staff's records as institution rules read them (`members`): those with a
    record in the period, in code order, then the quiet ones' shared record, which the
    list functions test once (`runs`, see dsl/builtins.py)."""

    __slots__ = ("active", "quiet", "default")

    def __init__(self, active: list, quiet: int, default: Member):
        self.active, self.quiet, self.default = active, quiet, default

    def __len__(self) -> int:
        return len(self.active) + self.quiet

    def _member(self, i: int) -> Member:
        return self.active[i]

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return list(self)[i]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("list index out of range")
        return self._member(i) if i < len(self.active) else self.default


class _OnADay(_Staff):
    """The staff on a day of the first-date search: `active` holds Member records."""

    __slots__ = ()

    def __iter__(self) -> Iterator[Member]:
        return chain(self.active, repeat(self.default, self.quiet))

    def runs(self) -> Iterator[tuple[Member, int]]:
        return chain(
            zip(self.active, repeat(1)), ((self.default, self.quiet),) if self.quiet else ()
        )


class Members(_Staff):
    """The staff at the end of a period: `active` holds (code, record) pairs, each made
    a Member when a rule reaches it, so a rule that stops at its first match (`any`)
    builds few."""

    __slots__ = ()

    def __iter__(self) -> Iterator[Member]:
        for code, record in self.active:
            yield Member(code, *record.snap)
        yield from repeat(self.default, self.quiet)

    def runs(self) -> Iterator[tuple[Member, int]]:
        for code, record in self.active:
            yield Member(code, *record.snap), 1
        if self.quiet:
            yield self.default, self.quiet

    def _member(self, i: int) -> Member:
        code, record = self.active[i]
        return Member(code, *record.snap)


_CODE = _DAY = itemgetter(0)


def institution_outcomes(
    policy: Policy,
    ledger: Ledger,
    as_of: _dt.date,
    inst_events: list[Event],
    tracker: InstitutionTracker | None,
    deadlines: Deadlines | None = None,
    only: list[str] | None = None,
) -> list[InstitutionOutcome]:
    """Each institution's staff counts and actions, per cycle (`only`: these institutions)."""
    if tracker is None:
        return []
    env = Env()
    by_inst: dict[tuple[str, str], list[ActionRec]] = {}
    for ev in inst_events:
        c = policy.cascades.get(ev.type)
        kind = SUSPEND if ev.type == "institution_suspended" else TERMINATE
        rec = ActionRec(kind, ev.date, ev.end, c.cite if c else "", BY_EVENT, [ev.id])
        period, start, end = calendar.cycle_of(
            policy.cycle.start_month, policy.cycle.start_day, ev.date
        )
        tracker.periods.setdefault(period, (start, end))
        by_inst.setdefault((ev.institution, period), []).append(rec)
    active = tracker.active_by_institution()
    periods_of: dict[str, set[str]] = {}
    for inst, period in list(active) + list(by_inst):
        periods_of.setdefault(inst, set()).add(period)
    out = []
    for inst in only if only is not None else sorted(ledger.staff):
        staff = ledger.staff[inst]
        for period in sorted(periods_of.get(inst, ())):
            who = active.get((inst, period), [])
            members = tracker.final(staff, who)
            actions = list(by_inst.get((inst, period), []))
            sanctioned = tracker.sanctioned.get((inst, period), 0)
            for rule in policy.institution_rules:
                if _holds(env, rule, staff, sanctioned, members, period):
                    first = _first_date(
                        env, rule, tracker, staff, period, tracker.changes(inst, period)
                    )
                else:
                    # false at the end; it can only have held before if some record went
                    # down (a credit, a reinstatement): then look day by day
                    if (inst, period) not in tracker.went_down:
                        continue
                    first = _scan(env, rule, tracker, staff, period, tracker.changes(inst, period))
                    if not first:
                        continue
                for spec in rule.then:
                    source = Source(SourceKind.RULE, rule.id)
                    rec = ActionRec(spec.kind, first, None, rule.cite, source, [])
                    if spec.kind in policy.actions:
                        rec.extra["label"] = policy.actions[spec.kind].label
                    if deadlines:
                        deadlines.attach(rec, first)
                    actions.append(rec)
            actions.sort(key=lambda a: (a.start, a.source))
            out.append(InstitutionOutcome(inst, period, len(staff), sanctioned, actions))
    return out


def _holds(env: Env, rule, staff, sanctioned, members, period) -> bool:
    env.bind_institution(len(staff), sanctioned, members, period)
    try:
        return bool(rule.when.fn(env))
    except EVAL_ERRORS as exc:
        raise EvaluationError(
            Diagnostic(
                "evaluation",
                _(
                    "institution rule `{rule}` cannot be evaluated for period {period}: {reason}"
                ).format(rule=rule.id, period=period, reason=failure_reason(exc)),
                rule.when.span,
                _("check the rule against a staff of this size"),
            )
        ) from None


def _first_date(
    env: Env,
    rule,
    tracker: InstitutionTracker,
    staff: list[str],
    period: str,
    changes: Iterator[tuple[_dt.date, list[tuple]]],
) -> _dt.date:
    """The first change date after which the rule holds.

    Walks the days of changes in order, keeping each member's latest record, and
    tests the rule at days spaced ever further apart (1, 2, 4, ... days in);
    once it holds, bisects back between the last two tests. Tests cost a pass
    over the staff, so this makes O(log n) passes rather than one per date, and
    reads the changes only as far as the last test.
    """
    dates: list[_dt.date] = []
    by_date: dict[_dt.date, list[tuple]] = {}

    def read_to(i: int) -> int:
        """Read days of changes until day i is known; the last known day."""
        while len(dates) <= i:
            day_changes = next(changes, None)
            if day_changes is None:
                break
            day, by_date[day] = day_changes
            dates.append(day)
        return len(dates) - 1

    if read_to(0) < 0:
        return tracker.periods[period][0]

    def state_at(i: int, base: dict[str, Member], upto: int) -> dict[str, Member]:
        latest = dict(base)
        for d in dates[upto : i + 1]:
            for code, snap in by_date[d]:
                latest[code] = Member(code, *snap)
        return latest

    last_false, base, step = -1, {}, 1
    i = 0
    while True:
        i = read_to(last_false + step)  # the last day when the changes run out first
        latest = state_at(i, base, last_false + 1)
        if _holds_with(env, rule, tracker, staff, period, latest) or (
            i < last_false + step or read_to(i + 1) == i
        ):
            break
        last_false, base, step = i, latest, step * 2
    lo, hi = last_false + 1, i  # the rule holds at hi, not at last_false
    while lo < hi:
        mid = (lo + hi) // 2
        if _holds_with(env, rule, tracker, staff, period, state_at(mid, base, last_false + 1)):
            hi = mid
        else:
            lo = mid + 1
    return dates[lo]


def _scan(
    env: Env,
    rule,
    tracker: InstitutionTracker,
    staff: list[str],
    period: str,
    changes: Iterator[tuple[_dt.date, list[tuple]]],
) -> _dt.date | None:
    """The first change date on which the rule held, testing every date in order."""
    latest: dict[str, Member] = {}
    for day, day_changes in changes:
        for code, snap in day_changes:
            latest[code] = Member(code, *snap)
        if _holds_with(env, rule, tracker, staff, period, latest):
            return day
    return None


def _holds_with(
    env: Env,
    rule,
    tracker: InstitutionTracker,
    staff: list[str],
    period: str,
    latest: dict[str, Member],
) -> bool:
    """Whether the rule holds with these members' records (the rest of the staff
    quiet): in code order, the quiet last, as `members` is at the end of the period."""
    members = _OnADay(
        [latest[code] for code in sorted(latest)], len(staff) - len(latest), tracker._default
    )
    sanctioned = sum(map(_SANCTIONED, latest.values()))
    return _holds(env, rule, staff, sanctioned, members, period)


_SANCTIONED = attrgetter("sanctioned")


_new_tuple = tuple.__new__
