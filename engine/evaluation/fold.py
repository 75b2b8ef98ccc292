"""Stage "evaluate": a fold over each person's events in date order.

Input: a loaded `Policy` and a `Ledger`; output: an `Outcome`. Everything a
regulation varies is read from the policy; this module holds only the
semantics the design states for every policy (docs/semantics.md) about time,
points and bands:

- A cycle is a year from the policy's start day; deductions add up in it and
  clear at its end (what clears is `cycle.resets`).
- A band fires when the total first enters it; one event crossing several
  bands fires the harshest only; a band fires at most once per cycle and
  never after a harsher one has fired in that cycle.

A finding is taken in four named steps, the articles a reader checks them
against in brackets: `points_of` (四: what the act counts, `points.py`),
`count` (四: into the cycle's total), `fire_bands` and `fire_rules` (五(一)).
What a fired band, rule or item does (suspensions and their overlap,
termination, bans, restoration, reinstatement, institution cascades) is in
`sanctions.py`; the state the fold carries is in `state.py`, the story it
writes for `--explain` in `story.py`.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import gc
import operator
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from engine import calendar
from engine.calendar import ONE_DAY
from engine.dsl import ast
from engine.dsl.types import ListT
from engine.errors import EVAL_ERRORS, BadValue, Diagnostic, EvaluationError, Span
from engine.evaluation.deadlines import Deadlines
from engine.evaluation.decisions import ON_DECISION, Decisions
from engine.evaluation.institutions import InstitutionTracker
from engine.evaluation.known import Known
from engine.evaluation.outcome import ActionRec, CycleOut, Outcome, PersonOutcome, PersonRow, Step
from engine.evaluation.outlook import Outlook
from engine.evaluation.points import Act, Points
from engine.evaluation.sanctions import Sanctions, released
from engine.evaluation.state import CycleState, PersonState, Violation
from engine.evaluation.story import say, say_event
from engine.evaluation.trail import Trails
from engine.i18n import _
from engine.ledger.read import INSTITUTION_TYPES, Event, Ledger, Person
from engine.numbers import number_text
from engine.policy.bands import lookup_table, on_table
from engine.policy.model import Item, Number, Policy
from engine.policy.scopes import PERSON, Env
from engine.vocabulary import (
    ACTIVE,
    AWAITING,
    BY_RESTORATION,
    RESTORE,
    SUSPENDED,
    TERMINATE,
    TERMINATED,
    Source,
    SourceKind,
    Status,
)


def evaluate(
    policy: Policy,
    ledger: Ledger,
    as_of: _dt.date,
    explain: Iterable[str] = (),
    progress: Callable[[int, str], None] | None = None,
) -> Outcome:
    """Evaluate a ledger under a policy, as of a date. Pure: same inputs, same outcome.
    (Across a regulation's history: evaluation/run.py.)"""
    return Evaluator(policy, ledger, as_of, set(explain), progress).run()


_BY_POINTS_OR_RULE = (SourceKind.TIER, SourceKind.RULE)  # a same-day step's own sanctions


def _person_outcome(policy: Policy, ledger: Ledger, as_of: _dt.date, code: str) -> PersonOutcome:
    """The outcome of the one person a ledger holds the events of (trail.py): with no
    event left and off the roster, nothing has happened to them."""
    return Evaluator(policy, ledger, as_of, set(), None).person(code)


class Unsorted(Exception):
    """A ledger read as a stream was not in date order: read it whole and sort it."""

    def __init__(self, event: Event):
        super().__init__(f"{event.file}:{event.line}: dated before the row before it")
        self.event = event


class Evaluator:
    """One evaluation of a ledger under a policy: fold_events(), then finish_person()
    (or finish_row(), for a report written as it goes) for each of codes(), then
    judge_institutions()."""

    def __init__(
        self, policy: Policy, ledger: Ledger, as_of: _dt.date, explain: set[str], progress
    ):
        self.p = policy
        # a ledger with corrections or decisions, as known on the as-of date (known.py):
        # fold `self.ledger.events`, not the ledger's own
        later = 0
        # (kept for a ledger folded as a stream, its corrections read beforehand:
        # stream_known)
        self.known: Known | None = None
        if ledger.corrections or ledger.decisions:
            original = ledger
            self.known = Known(ledger, as_of)
            ledger, later = self.known.ledger(ledger), self.known.later
        self.ledger = ledger
        self.as_of = as_of
        self.explain = explain
        self.progress = progress
        self.env = Env()
        self.initial = policy.scale.initial
        self.cap = policy.cycle.cap
        self.unit = policy.scale.unit
        self.top = self.cap if self.cap is not None else self.initial
        self.tiers = list(policy.tiers)
        # what decided an action, one Source per tier, rule and item, shared
        self.tier_source = [Source(SourceKind.TIER, t.id) for t in self.tiers]
        self.rule_source = {r.id: Source(SourceKind.RULE, r.id) for r in policy.rules}
        self.item_source = {c: Source(SourceKind.ITEM, c) for c in policy.items}
        self.lasting = any(t.lasting for t in self.tiers)  # §3a: any band with lasting acts
        # the tiers as a table of whole totals 0..top (bands.lookup_table), when every tier
        # is a plain band and the scale has a top; the same for violation's fast path
        # when the scale counts whole points
        self.table: list[int] | None = None
        if policy.band_lookup and self.top is not None and self.tiers:
            self.table = lookup_table([t.band for t in self.tiers], self.unit, self.top)  # type: ignore[misc]
        self.whole_table = self.table if self.unit == 1 else None
        self.keep_violations = bool(policy.conditions)
        # the fewest cycles a person's registration must have for any rule to hold:
        # each rule reads as `count(cycles, ...) >= K` or `consecutive(cycles, ...) >=
        # K` (the compiler's length guard says so), else 0. Below it, a finding does
        # not evaluate the rules at all: Jining's three-years rule, on every finding,
        # with most people in their first or second cycle
        self.rules_need = min((_needs_cycles(r.when.fn) for r in policy.rules), default=0)
        self.points = Points(policy, self.env)
        # the largest act of a same-day step so far, per person, until its last finding
        self.step_points: dict[str, Any] = {}
        self.cycle_cache: dict[int, tuple[str, _dt.date, _dt.date]] = {}
        self.cycle_starts = (policy.cycle.start_month, policy.cycle.start_day)
        self.natural_year = self.cycle_starts == (1, 1)
        # A fact that reads only the person's attributes and the as-of date is the same
        # for everyone with the same values of those attributes (an age from a birth
        # date): computed once per distinct values. Each fact, with how to read the
        # person attributes its value depends on (None: not on them alone), and those
        # attributes' names when all are roster columns (read by C from the columns'
        # dict, rather than a call each)
        self.fact_reads = [
            (
                f,
                None if reads is None else [_person_field(a) for a in reads],
                None if reads is None or any(a in PERSON.fields for a in reads) else reads,
            )
            for f in policy.facts
            for reads in [person_reads(f.value)]
        ]
        self.fact_memo: dict[tuple, Any] = {}
        self.outlook = Outlook(policy, as_of)  # each person's next band, when finished
        self.deadlines = Deadlines(policy)
        self.institutions = InstitutionTracker(policy) if ledger.roster else None
        self.sanctions = Sanctions(policy, self.env, self.deadlines, self.institutions, self)
        self.inst_list: list[Event] = []
        # the trail of each correction (issue 22 §1), worked out when the outcome is: from
        # the findings as recorded, the corrections known by the as-of date
        self.trails = self.make_trails(original, ledger) if ledger.corrections else None
        # decisions on sanctions, and whether sanctions bind only once decided (§2)
        self.decided = (
            self.make_decisions(ledger)
            if ledger.decisions or policy.take_effect == ON_DECISION
            else None
        )
        self.proposed: dict[str, str] = {}  # code -> the computed status, when not in force
        self.states: dict[str, PersonState] = {}
        self.off_roster: list[str] = []  # codes with a state that are not on the roster
        # told each date's events once they are folded (report/collect.py's Tap)
        self.on_day: Callable[[list[Event]], None] | None = None
        self.after = later  # events dated after the as-of date (corrections, decisions too)
        self.outside = 0  # events dated outside the policy's effective period
        self.period = (  # that period: its first day, and its last (None: open)
            _dt.date.fromisoformat(policy.effective_from),
            _dt.date.fromisoformat(policy.effective_to) if policy.effective_to else None,
        )

    def make_trails(self, original: Ledger, known: Ledger) -> Trails | None:
        """The trails of the corrections known by the as-of date (trail.py), each person
        evaluated again under this policy. (A history's fold makes them across its
        versions: history.py.)"""
        return Trails(self.p, original, known.corrections, self.as_of, _person_outcome)

    def make_decisions(self, known: Ledger) -> Decisions:
        return Decisions(self.p, known)

    def stream_known(self, rows: Iterable[Event]) -> Iterable[Event]:
        """A stream's rows as known on the as-of date, for a ledger whose corrections and
        decisions were read beforehand and given with it (read.read_corrections): each
        finding as corrected, the revoked ones left out, every row also kept for the
        trails of the people a correction concerns. Rows as they are otherwise."""
        if self.known is None:
            return rows
        return self._known(rows, self.known, self.trails)

    @staticmethod
    def _known(rows: Iterable[Event], known: Known, trails: Trails | None) -> Iterator[Event]:
        at = known.event
        add = trails.add if trails is not None else None
        for e in rows:
            if add is not None:
                add(e)
            if (k := at(e)) is not None:
                yield k

    # ---- driver --------------------------------------------------------------------------
    def run(self) -> Outcome:
        """Every person's outcome, then the institutions', in this process."""
        with paused_gc():
            self.fold_events(self.ledger.events)
            people = []
            traces: dict[str, list[Step]] = {}
            for n, code in enumerate(self.codes()):
                outcome, trace = self.finish_person(code)
                people.append(outcome)
                if trace is not None:
                    traces[code] = trace
                if self.progress and n % 2000 == 0:
                    self.progress(n, "people")
            return self.outcome(people, traces)

    def person(self, code: str) -> PersonOutcome:
        """The outcome of the one person the ledger holds the events of, as `run` gives
        it, without judging the institutions (a correction's trail: trail.py); with no
        event left and off the roster, nothing has happened to them."""
        with paused_gc():
            self.fold_events(self.ledger.events)
            if code in self.codes():
                return self.finish_person(code)[0]
        return PersonOutcome(code, Status.ACTIVE, [], [], None)

    def fold_events(self, events: Iterable[Event]) -> None:
        """Fold events, taken in date order, into each person's state.

        One pass in the ledger's own order, every person's state kept between
        their events: the ledger need not be held, grouped or sorted, so a
        ledger read as a stream is folded with memory that grows with people
        (api.report_files). An institution's own event is folded into each of
        its staff on the roster where it falls among their events. Raises
        `Unsorted` at the first event dated before the one before it.
        """
        as_of = self.as_of
        lo, hi = self.period
        progress = self.progress
        last = _dt.date.min
        late = outside = False
        # One date's events, applied when the date is over, in the order of a date
        # (fold_day): a ledger has no order within a day, and neither does the law
        day: list[Event] = []
        for n, ev in enumerate(events):
            d = ev.date
            if d is not last:  # (rows of a day share their date: compared once a day)
                if d != last:
                    if d < last:
                        raise Unsorted(ev)
                    if day:
                        self.fold_day(day)
                        if self.on_day is not None:
                            self.on_day(day)
                        day = []
                    late = d > as_of
                    outside = d < lo or (hi is not None and d > hi)
                last = d
            if late:
                self.after += 1
                continue
            if outside:
                self.outside += 1
            if progress and not n % 100_000:
                progress(n, "events")
            day.append(ev)
        if day:
            self.fold_day(day)
            if self.on_day is not None:
                self.on_day(day)
        if self.points.case is not None:  # every refused row at once (scoring.py)
            self.points.case.raise_refused()

    def fold_day(self, day: list[Event]) -> None:
        """Apply one date's events, whatever their order in the ledger
        (docs/semantics.md, "Same day"): re-applications, then institution events,
        then each person's findings of the date together as one step, then credits.
        Within a kind, events go by their id; people are independent of each other."""
        states = self.states
        state = self.state
        if len(day) == 1:  # (most dates of a person's ledger, and of small ones)
            self.one(day[0])
            return
        first: dict[str, Event] = {}  # a person's finding of the date, or
        many: dict[str, list[Event]] = {}  # their findings, when more than one
        others: list[Event] = []
        for ev in day:
            if ev.type == "violation":
                who = ev.person
                if who in first:
                    if who in many:
                        many[who].append(ev)
                    else:
                        many[who] = [first[who], ev]
                else:
                    first[who] = ev
            else:
                others.append(ev)
        if others:
            others.sort(key=_DAY_ORDER)
            for ev in others:
                if ev.type != "credit":
                    self.one(ev)
        violation, event = self.violation, self.event
        try:  # (the common case inline: one finding of the person that day)
            for who, ev in first.items():
                st = states.get(who)
                if st is None:
                    st = state(who)
                if many and who in many:
                    self.step(st, sorted(many[who], key=_STEP_ORDER))
                elif st.suspension is None:
                    violation(st, ev)
                else:
                    event(st, ev)
        except BadValue as exc:  # a value of the input; anything else is a bug of ours
            raise blame(ev, exc) from None
        except OverflowError:  # a date past 9999-12-31 (sanctions queued past it)
            raise blame(ev, PastLastDate()) from None
        for ev in others:
            if ev.type == "credit":
                self.one(ev)

    def one(self, ev: Event) -> None:
        """Fold one event into the state of each person it concerns."""
        states = self.states
        try:  # (free in Python 3.11 unless raised)
            if ev.type in INSTITUTION_TYPES:
                self.inst_list.append(ev)
                state = self.state
                for who in self.ledger.staff.get(ev.institution, ()):
                    self.event(states.get(who) or state(who), ev)
                return
            st = states.get(ev.person)
            if st is None:
                st = self.state(ev.person)
            if st.suspension is None and ev.type == "violation":
                self.violation(st, ev)  # the common case, without the dispatch
            else:
                self.event(st, ev)
        except BadValue as exc:  # a value of the input; anything else is a bug of ours
            raise blame(ev, exc) from None
        except OverflowError:  # a date past 9999-12-31 (sanctions queued past it)
            raise blame(ev, PastLastDate()) from None

    def step(self, st: PersonState, evs: list[Event]) -> None:
        """One person's findings of one date, applied together: each counts its points
        (and its items' own effects), and the bands and history rules then see the
        date's total once, as one crossing (the harshest band fires, as for any
        crossing). The action a band or rule takes names every finding of the step."""
        d = evs[0].date
        if st.suspension is not None:
            self.advance(st, d)
        start = self.current_cycle(st, d).deducted
        before = len(st.actions)
        for ev in evs:
            try:
                if ev is evs[-1]:
                    before = len(st.actions)
                    self.violation(st, ev, start=start, step=evs)
                else:
                    self.violation(st, ev, last=False)
            except BadValue as exc:  # a value of the input; anything else is a bug of ours
                raise blame(ev, exc) from None
            except OverflowError:  # a date past 9999-12-31 (sanctions queued past it)
                raise blame(ev, PastLastDate()) from None
        ids = [e.id for e in evs]
        for a in st.actions[before:]:
            if a.source.kind in _BY_POINTS_OR_RULE and a.events == [evs[-1].id]:
                a.events = list(ids)

    def state(self, code: str) -> PersonState:
        """A person's state, made at their first event (or institution event)."""
        person = (self.ledger.roster or {}).get(code)
        if person is None:
            person = Person(code, [], {}, "", 0)
            self.off_roster.append(code)
        st = self.states[code] = PersonState(code, person, [] if code in self.explain else None)
        return st

    def codes(self) -> list[str]:
        """Everyone to report, after the fold: in the events or on the roster, by code."""
        codes = self.ledger.roster_codes()
        # (not a walk over every state asking the roster: 200,000 look-ups out of the
        # cache); each code is noted once, when its state is made, and is not the roster's
        extra = self.off_roster
        return sorted(codes + extra) if extra else list(codes)

    def finish_person(self, code: str) -> tuple[PersonOutcome, list[Step] | None]:
        """A person's outcome (and story, when asked for) once every event is folded;
        their state is let go."""
        st = self.take(code)
        return self.finish(st), st.trace

    def finish_row(self, code: str) -> PersonRow:
        """A person's outcome as a plain tuple, for a report that only writes it out
        (report.PersonJson.row); their state is let go.

        Why not `finish_person`: its dataclass is made for nothing when a report made
        as it goes throws it away at once. The two give the same values, made in one
        place (`row`).
        """
        return self.row(self.take(code))

    def take(self, code: str) -> PersonState:
        """A person's state brought up to the as-of date, taken out of the fold."""
        st = self.states.pop(code, None)
        if st is None:  # on the roster, with no event
            st = self.state(code)
            del self.states[code]
        self.advance(st, self.as_of)
        return st

    def outcome(
        self,
        people: list[PersonOutcome],
        traces: dict[str, list[Step]],
        institutions: list | None = None,
    ) -> Outcome:
        """The whole outcome, once every person has been folded (institutions last,
        unless already judged elsewhere)."""
        if institutions is None:
            institutions = self.judge_institutions(None)
        notes = []
        if self.p.institution_rules and not self.ledger.roster:
            cites = _(", ").join(sorted({r.cite for r in self.p.institution_rules}))
            notes.append(
                _(
                    "the policy has institution rules ({cites}) but no roster was "
                    "given, so no institution was judged"
                ).format(cites=cites)
            )
        return Outcome(
            self.p.id,
            self.p.version,
            self.as_of,
            people,
            institutions,
            traces,
            self.after,
            self.outside,
            (self.p.effective_from, self.p.effective_to),
            notes,
            corrections=self.trails.trails() if self.trails is not None else [],
        )

    def judge_institutions(self, only: list[str] | None) -> list:
        """The institutions' outcomes (all of them, or `only` these), after the fold."""
        if not self.ledger.roster:
            return []
        from engine.evaluation.institutions import institution_outcomes

        return institution_outcomes(
            self.p, self.ledger, self.as_of, self.inst_list, self.institutions, self.deadlines, only
        )

    # ---- time ----------------------------------------------------------------------------
    def new_cycle(self, st: PersonState, index: int, prev: CycleState | None) -> CycleState:
        c = self.p.cycle
        known = self.cycle_cache.get(index)
        if known is None:
            known = cycle_label(self.p, _dt.date(index, c.start_month, c.start_day))
            self.cycle_cache[index] = known
        period, start, end = known
        cyc = CycleState(index, period, start, end, self.initial, st.registration)
        if prev is not None:
            # what `resets` lists clears, unless `reset_when` (未满12分的清零) says the
            # ending cycle keeps its total
            kept = c.reset_when is not None and not self.resets(prev)
            if kept or "points" not in c.resets:
                cyc.deducted = prev.deducted  # the credit cap still counts per cycle
            if kept or "tiers" not in c.resets:
                cyc.fired, cyc.rules_fired, cyc.clauses = prev.fired, prev.rules_fired, prev.clauses
        return cyc

    def resets(self, ending: CycleState) -> bool:
        """Whether the policy's `cycle.reset_when` holds on a cycle as it ends."""
        return bool(self.p.cycle.reset_when(self.env.bind_reset(ending)))

    def current_cycle(self, st: PersonState, d: _dt.date) -> CycleState:
        """The person's cycle containing d (its index: calendar.cycle_year), made now
        with every cycle between it and their last, so that history rules see each
        year, quiet ones included."""
        # (a natural year's index is its year, read without a call: 1.6 % of the fold's
        # instructions on Jining, where every person's first finding makes a cycle)
        idx = d.year if self.natural_year else calendar.cycle_year(*self.cycle_starts, d)
        prev = st.cycle
        if prev is not None:
            if prev.index == idx:
                return prev
            start = prev.index + 1
        else:
            start = idx
        for i in range(start, idx + 1):
            prev = self.new_cycle(st, i, prev)
            st.cycles.append(prev)
            st.records.append(prev)
            st.cycle = prev
        return st.cycle

    def advance(self, st: PersonState, d: _dt.date) -> None:
        """Bring time-driven changes up to date d: suspensions ending, queues starting."""
        while st.suspension is not None and st.suspension.end is not None and st.suspension.end < d:
            ended = st.suspension
            st.suspension = None
            back = ended.end + ONE_DAY
            if st.queue:
                nxt = st.queue.pop(0)
                nxt.start = back
                nxt.end = calendar.last_day(back, nxt.length) if nxt.length else None
                st.suspension = nxt
                if st.trace is not None:
                    say(
                        st,
                        back,
                        "status",
                        _("queued suspension starts, until {end}").format(end=nxt.end),
                        nxt.cite,
                    )
                continue
            if st.status is not SUSPENDED:
                continue
            by, cite = self.restoration_on(back, st)
            if by == "automatic":
                st.status = ACTIVE
                st.actions.append(
                    ActionRec(
                        RESTORE,
                        back,
                        None,
                        cite,
                        BY_RESTORATION,
                        [],
                        {"automatic": True},
                    )
                )
                if st.trace is not None:
                    say(
                        st,
                        back,
                        "status",
                        _("suspension over: restored automatically"),
                        cite,
                    )
            else:
                st.status = AWAITING
                st.awaiting_from = back
                if st.trace is not None:
                    say(
                        st,
                        back,
                        "status",
                        _("suspension over: awaiting re-application from {date}").format(date=back),
                        cite,
                    )

    def restoration_on(self, d: _dt.date, st: PersonState | None = None) -> tuple[str, str]:
        """How a person (`st`) whose suspension is over on d comes back
        (`restoration.by`), and the article: the policy's (a history's fold asks the
        version in force on d)."""
        return self.p.restoration, self.p.restoration_cite

    # ---- events --------------------------------------------------------------------------
    def event(self, st: PersonState, ev: Event) -> None:
        if st.suspension is not None:
            self.advance(st, ev.date)
        t = ev.type
        if t == "violation":
            self.violation(st, ev)
        elif t == "credit":
            self.credit(st, ev)
        elif t == "reapply":
            self.sanctions.reapply(st, ev)
        else:
            self.sanctions.cascade(st, ev)

    def item_points(self, st: PersonState, ev: Event, item: Item) -> Number:
        """One item's points for a finding or a credit (points.Points.item)."""
        return self.points.item(item, ev, st.person)

    # ---- a finding, in four steps: 四 (points_of, count), 五(一) (fire_bands, fire_rules)
    def violation(
        self,
        st: PersonState,
        ev: Event,
        last: bool = True,
        start: Any = None,
        step: list[Event] | None = None,
    ) -> None:
        """A finding: what it counts (points_of), its cycle's new total (count), its
        items' own effects, then the band the total enters (fire_bands) and the
        history rules (fire_rules). While terminated a finding is recorded but fires
        no band or rule: there is no agreement left to act on. In a same-day step
        (`step`), the findings before the last stop after their effects (`last=False`),
        and the last one judges the bands from the total before the step (`start`)."""
        d = ev.date
        cyc = st.cycle
        if cyc is None or cyc.end < d or cyc.start > d:
            cyc = self.current_cycle(st, d)
        trace = st.trace is not None
        # points_of's fast path, here rather than inside it: a finding of one fixed item
        # (most of them) is a finished Act in the plans, read without a call (4.4 % of
        # the fold's instructions on Jining, bench/fold.py)
        act = self.points.plans.get(ev.items)
        if act is None or act.points is None or trace:
            act = self.points_of(st, ev)
        pts = act.points
        if pts is None:  # not scored at all (a later version no longer counts the act; a
            # condition on scoring fails, or the row is refused: evaluation/scoring.py):
            # no total, no violation, no effect; a same-day step still judges its total
            if step is None:
                return
            old = terminated_now = False
        else:
            cyc.touched = True
            old = self.count(st, cyc, ev, pts, act.violation)
            terminated_now = act.effects and self.effects(st, ev, pts)
        if not last:  # an earlier finding of a same-day step
            if pts is not None and pts > self.step_points.get(st.code, 0):
                self.step_points[st.code] = pts
            return
        if step is not None:  # the step's crossing: from its start, by its largest act
            old = start
            pts = max(self.step_points.pop(st.code, 0), pts or 0)
            if not cyc.touched:  # every finding of the step went unscored
                return
        if st.status is TERMINATED:
            if trace and not terminated_now:
                say(
                    st,
                    d,
                    "note",
                    _(
                        "not registered (terminated): the finding is "
                        "recorded but fires no tier or rule"
                    ),
                    None,
                    ev,
                )
        else:
            # fire_bands's fast path, here: a whole total whose band (or none) has already
            # fired this cycle, read off the bands' table, fires nothing: no call (3.3 %).
            # (A story is told all the same: it says the band was already fired.)
            new, table = cyc.deducted, self.whole_table
            if (
                table is None
                or type(new) is not int
                or new >= len(table)
                or table[new] > cyc.fired
                or trace
            ):
                self.fire_bands(st, cyc, ev, old, pts)
            # fire_rules's fast path, here: no rule can hold while the registration has
            # fewer cycles than every rule's condition needs (Jining's three-years rule
            # is not evaluated for anyone in their first two years): no call (1.4 %)
            if len(st.cycles) >= self.rules_need and self.p.rules:
                self.fire_rules(st, cyc, ev, pts)
        if self.institutions is not None:  # self.track, without the call: every finding
            self.institutions.record(st, cyc, d)

    def points_of(self, st: PersonState, ev: Event) -> Act:
        """四: what the finding counts: its items' points, one act counting its highest
        item (or their sum, as the policy's `combine.same_act` says)."""
        act = self.points.of(ev, st.person, st.trace is not None)
        if st.trace is not None:
            if act.unscored is None:
                say_event(self.p, st, ev, act.points, act.per_item)
            kind = "points" if act.unscored is None else "event"
            for text, cite in act.notes:  # the band, its move, the grade; or not scored
                say(st, ev.date, kind, text, cite, ev)
        return act

    def count(self, st: PersonState, cyc: CycleState, ev: Event, pts: Number, is_violation: bool):
        """四: the finding's points added to its cycle's total, which the cap bounds; one
        inspection counting only its highest finding where the policy says so. Returns
        the total before it."""
        counted = pts
        if ev.inspection and self.p.combine.same_inspection == "highest":
            if cyc.inspections is None:
                cyc.inspections = {}
            before = cyc.inspections.get(ev.inspection, 0)
            counted = max(0, pts - before)
            cyc.inspections[ev.inspection] = max(before, pts)
            if st.trace is not None and counted != pts:
                say(
                    st,
                    ev.date,
                    "points",
                    _(
                        "inspection `{inspection}` counts its highest finding only: {counted} more"
                    ).format(inspection=ev.inspection, counted=number_text(counted)),
                    self.p.combine.cite,
                    ev,
                )
        old = cyc.deducted
        new = old + counted
        if self.cap is not None and new > self.cap:
            new = self.cap
        cyc.deducted = new
        if is_violation:  # (a failed policy test acts by its effects, and is no 违规)
            cyc.violations += 1
            if pts > cyc.max_item_points:
                cyc.max_item_points = pts
            if self.keep_violations:
                v = Violation(ev.date, pts, list(ev.items), ev.institution)
                if st.violations:
                    st.violations.append(v)
                else:
                    st.violations = [v]
        if st.trace is not None:
            say(
                st,
                ev.date,
                "points",
                _cycle_step(cyc.period, old, counted, new, self.cap)
                + (
                    _(" (score {score})").format(score=number_text(cyc.score))
                    if self.initial is not None
                    else ""
                ),
                self.p.scale.cite,
                ev,
            )
        return old

    def fire_bands(self, st: PersonState, cyc: CycleState, ev: Event, old: Number, pts: Number):
        """五(一): the band the cycle's total is now in fires, if no band as harsh or
        harsher has fired in the cycle; a finding that carries the total over several
        bands fires the harshest only (the bands it passes over are told, not fired)."""
        idx = self.band_index(cyc, ev, st)
        if idx < 0:
            return
        tier = self.tiers[idx]
        if idx <= cyc.fired:
            if st.trace is not None and cyc.tier != tier.id:
                say(
                    st,
                    ev.date,
                    "band",
                    _(
                        "total in band `{tier}`, but a band as harsh "
                        "or harsher already fired this cycle"
                    ).format(tier=tier.id),
                    tier.cite,
                    ev,
                )
            return
        if st.trace is not None:
            skipped = [
                t.id
                for t in self.tiers[cyc.fired + 1 : idx]
                if t.band is None or not t.band.contains(old)
            ]
            say(
                st,
                ev.date,
                "band",
                _("enters band `{tier}` ({when})").format(tier=tier.id, when=tier.when.text)
                + (
                    _("; crosses {tiers} in one event: only the harshest fires").format(
                        tiers=_(", ").join(skipped)
                    )
                    if skipped
                    else ""
                ),
                tier.cite,
                ev,
                self.tier_source[idx],
            )
        lasting = self.lasting
        if lasting and idx > cyc.fired + 1:
            # bands passed over in one step: their one-off acts are absorbed by the
            # harsher band's, their lasting states still follow (a listing; §3a)
            for k in range(cyc.fired + 1, idx):
                passed = self.tiers[k]
                if passed.lasting and (passed.band is None or not passed.band.contains(old)):
                    for spec in passed.then:
                        if spec.kind in passed.lasting:
                            self.sanctions.apply(
                                st, spec, ev, passed.cite, self.tier_source[k], "points", pts
                            )
        cyc.fired = idx
        cyc.tier = tier.id
        if tier.clause is not None and not self.clause_free(
            st, cyc, ev, tier.clause, tier.cite, self.tier_source[idx]
        ):
            return
        source = self.tier_source[idx]
        for spec in tier.then:
            self.sanctions.apply(st, spec, ev, tier.cite, source, cause="points", points=pts)

    def clause_free(
        self, st: PersonState, cyc: CycleState, ev: Event, clause: str, cite: str, by: Source
    ) -> bool:
        """Whether a clause's one sanction is still to take in this cycle (§3b: tiers
        and rules sharing a `clause` fire it once, whichever holds first); notes it."""
        if clause in cyc.clauses:
            if st.trace is not None:
                say(
                    st,
                    ev.date,
                    "note",
                    _(
                        "`{by}` describes clause `{clause}`, whose one sanction was taken "
                        "already this cycle"
                    ).format(by=by, clause=clause),
                    cite,
                    ev,
                )
            return False
        cyc.clauses = cyc.clauses | {clause}
        return True

    def band_index(self, cyc: CycleState, ev: Event, st: PersonState) -> int:
        """The index of the (harshest) tier whose condition the cycle holds, -1 for none:
        off the bands' table where it can say (bands.on_table), else each tier asked."""
        if self.table is not None:
            idx = on_table(self.table, self.unit, cyc.deducted)
            if idx is not None:
                return idx
        env = self.env.bind_tier(cyc, ev, st.person)
        idx = -1
        for i, t in enumerate(self.tiers):
            if t.when(env):
                idx = i
        return idx

    def fire_rules(self, st: PersonState, cyc: CycleState, ev: Event, pts: Number) -> None:
        """五(一) and the like: the history rules (连续三年...), each at most once a
        cycle, until one terminates."""
        if st.status is TERMINATED:  # by a band on the same finding
            return
        env = self.env.bind_rule(
            cyc, ev, st.person, st.cycles, st.actions, st.suspensions, st.terminations
        )
        for rule in self.p.rules:
            if rule.id in cyc.rules_fired or not rule.when(env):
                continue
            cyc.rules_fired = cyc.rules_fired | {rule.id}
            if st.trace is not None:
                say(
                    st,
                    ev.date,
                    "rule",
                    _("rule `{rule}` holds ({when})").format(rule=rule.id, when=rule.when.text),
                    rule.cite,
                    ev,
                    self.rule_source[rule.id],
                )
            if rule.clause is not None and not self.clause_free(
                st, cyc, ev, rule.clause, rule.cite, self.rule_source[rule.id]
            ):
                continue
            for spec in rule.then:
                self.sanctions.apply(
                    st,
                    spec,
                    ev,
                    rule.cite,
                    self.rule_source[rule.id],
                    cause=rule.cause or "rule",
                    points=pts,
                )
            if st.status is TERMINATED:
                break

    def effects(self, st: PersonState, ev: Event, pts: Number) -> bool:
        """Apply the listed items' direct effects; True if one of them terminated."""
        fired_terminate = False
        for code, item in self.act_items(ev):
            for eff in item.effects:
                if eff.when is not None and not eff.when(self.env.bind_item(ev, st.person)):
                    continue
                for spec in eff.then:
                    cause = item.cause or "item"
                    source = self.item_source[code]
                    self.sanctions.apply(st, spec, ev, eff.cite, source, cause=cause, points=pts)
                    fired_terminate = fired_terminate or spec.kind == TERMINATE
        return fired_terminate

    def act_items(self, ev: Event) -> list[tuple[str, Item]]:
        """A finding's items, as the version that scored it lists them: the policy's
        (a history's fold scores some findings under another version, history.py)."""
        items = self.p.items
        return [(code, items[code]) for code in ev.items]

    def credit(self, st: PersonState, ev: Event) -> None:
        cyc = self.current_cycle(st, ev.date)
        cyc.touched = True
        pc = self.p.cycle
        if st.status is TERMINATED and not pc.credits_after_termination:
            # the total that terminated the person stands (docs/semantics.md, Points)
            if st.trace is not None:
                say(
                    st,
                    ev.date,
                    "note",
                    _(
                        "credit {items} not applied: the person is terminated, and the "
                        "total that terminated them stands"
                    ).format(items=_(", ").join(ev.items)),
                    pc.cite,
                    ev,
                )
            return
        total = sum(self.item_points(st, ev, self.p.credits[c]) for c in ev.items)
        cap = pc.credit_cap
        room = total if cap is None else max(0, min(total, cap - cyc.credited))
        if pc.credit_total_cap is not None:  # over all the person's cycles
            room = max(0, min(room, pc.credit_total_cap - st.credited_total))
        room = min(room, cyc.deducted)
        cyc.credited += room
        st.credited_total += room
        old = cyc.deducted
        cyc.deducted -= room
        if st.trace is not None:
            say(
                st,
                ev.date,
                "points",
                _("credit {items}: {old} - {room} = {deducted} deducted").format(
                    items=_(", ").join(ev.items),
                    old=number_text(old),
                    room=number_text(room),
                    deducted=number_text(cyc.deducted),
                )
                + (
                    _(" (credit cap {cap} reached)").format(cap=number_text(cap))
                    if cap is not None and room < total and cyc.credited >= cap
                    else _(" (credit cap {cap} in all reached)").format(
                        cap=number_text(pc.credit_total_cap)
                    )
                    if pc.credit_total_cap is not None
                    and room < total
                    and st.credited_total >= pc.credit_total_cap
                    else ""
                ),
                self.p.credits[ev.items[0]].cite,
                ev,
            )
        self.track(st, cyc, ev.date)

    # ---- bookkeeping ---------------------------------------------------------------------
    def use_institutions(self, tracker: InstitutionTracker | None) -> None:
        """Fold into another institution tracker (a history's views share one), the
        sanctions' too."""
        self.institutions = self.sanctions.institutions = tracker

    def track(self, st: PersonState, cyc: CycleState, d: _dt.date) -> None:
        """Tell the institution tracker a person's cycle changed."""
        if self.institutions is not None:
            self.institutions.record(st, cyc, d)

    def finish(self, st: PersonState) -> PersonOutcome:
        """A finished person's outcome (`row`, as the dataclass the API hands out)."""
        r = self.row(st)
        return PersonOutcome(
            r.person,
            r.status,
            r.cycles,
            r.actions,
            r.reapply_from,
            list(r.reapplications),
            r.facts,
            list(r.institutions),
            r.next_band,
            proposed_status=r.proposed_status,
        )

    def row(self, st: PersonState) -> PersonRow:
        """A finished person: the one place their outcome is read off their state."""
        status, reapply_from, actions, facts = self.settle(st)
        proposed = self.proposed.pop(st.code, None) if self.proposed else None
        initial = self.initial
        # (tuple.__new__ rather than the class: the NamedTuple's own __new__ is a call
        # in Python per cycle, a province's people have a few each)
        cycles = [
            _new_tuple(
                CycleOut,
                (
                    c.period,
                    c.start,
                    c.end,
                    c.deducted,
                    None if initial is None else initial - c.deducted,
                    c.tier,
                    c.violations,
                    c.credited,
                    c.registration,
                ),
            )
            for c in st.records
            if c.touched
        ]
        last = cycles[-1] if cycles else None
        nb = self.outlook.next_band(
            status, None if last is None else (last.period, last.deducted, last.tier)
        )
        return _new_tuple(
            PersonRow,
            (
                st.code,
                status,
                cycles,
                actions,
                reapply_from,
                st.reapplications,
                facts,
                st.person.institutions,
                None if nb is None else nb.pair,
                proposed,
                None,  # (a history's versions and findings: HistoryEvaluator.finish_row)
            ),
        )

    def settle(
        self, st: PersonState
    ) -> tuple[Status, _dt.date | str | None, list[ActionRec], dict[str, Any]]:
        """A finished person's status and first re-application date on the as-of date,
        their actions by start date, and their facts."""
        as_of = self.as_of
        status, reapply_from = self.status_on(st, as_of)
        # the state is let go after this: its own list is the outcome's
        actions = st.actions + st.site_actions if st.site_actions else st.actions
        if len(actions) > 1:
            actions.sort(key=_START)
        if self.decided is not None:  # decided or proposed; the status in force (decisions.py)
            status, reapply_from, proposed = self.decided.settle(
                st.code, status, reapply_from, actions, as_of
            )
            if proposed is not None:
                self.proposed[st.code] = proposed
        facts = {}
        if self.p.facts:
            person = st.person
            env = self.env.bind_fact(person, as_of)
            for f, reads, columns in self.fact_reads:
                key = None
                if reads is not None:
                    key = (
                        (f.name, *map(person.attrs.get, columns))
                        if columns is not None
                        else (f.name, *[get(person) for get in reads])
                    )
                    if key in self.fact_memo:
                        facts[f.name] = self.fact_memo[key]
                        continue
                try:
                    value = f.value.fn(env)
                except EVAL_ERRORS:
                    value = None
                facts[f.name] = value
                if key is not None and len(self.fact_memo) < 100_000:
                    self.fact_memo[key] = value
        return status, reapply_from, actions, facts

    def status_on(self, st: PersonState, as_of: _dt.date) -> tuple[Status, _dt.date | str | None]:
        """A person's status and first re-application date on `as_of`, read from their
        state once it has been brought up to that date (`advance`); changes nothing,
        so a status timeline (timeline.py) can read it between events."""
        status = st.status
        reapply_from: _dt.date | str | None = None
        if status is TERMINATED:
            reapply_from = st.reapply_from
        elif status is SUSPENDED:
            back = released(st)  # after any suspension queued behind this one
            if self.restoration_on(back or as_of)[0] == "reapplication":
                reapply_from = back
        elif status is AWAITING:
            reapply_from = st.awaiting_from
        if status is ACTIVE and st.person.institutions and st.sites:
            sites = st.sites
            running = [r for r in map(sites.get, st.person.institutions) if r is not None]
            if len(running) == len(st.person.institutions) and all(
                r.end is None or r.end >= as_of for r in running
            ):
                if all(r.action == TERMINATE for r in running):
                    # no ban follows a cascade: a new registration elsewhere can succeed at once
                    status, reapply_from = TERMINATED, max(r.start for r in running)
                else:
                    status = SUSPENDED
        return status, reapply_from


# The order of a date's events other than findings (docs/semantics.md, "Same day"):
# re-applications, institution events, (findings), credits; by id within a kind
_KIND = {"reapply": 0, "institution_suspended": 1, "institution_terminated": 1, "credit": 3}


def _DAY_ORDER(ev: Event) -> tuple:  # noqa: N802 - a sort key, named as a constant
    return (_KIND.get(ev.type, 2), ev.id)


def _STEP_ORDER(ev: Event) -> tuple:  # noqa: N802
    """A step's findings by id, one that decides a length (`suspension`, `ban`)
    last: the band or rule the step fires reads its columns from the last."""
    attrs = ev.attrs or {}
    return (bool(attrs.get("suspension") or attrs.get("ban")), ev.id)


class PastLastDate(BadValue):
    """A date past 9999-12-31 that the input would need (sanctions queued past it)."""

    def __init__(self) -> None:
        super().__init__(_("a date after 9999-12-31 would be needed, the last a date can be"))


def blame(ev: Event, exc: Exception) -> EvaluationError:
    """An error while folding an event, as bad input at the event's line. The line
    names the row; the event's id and its person's code are not repeated, since
    standard error names no practitioner (docs/privacy.md, "The command line's logs")."""
    return EvaluationError(
        Diagnostic(
            "evaluation",
            _("the event cannot be evaluated: {reason}").format(reason=exc),
            Span(ev.file, ev.line),
            _("check the event's date and the lengths of the sanctions it brings")
            if isinstance(exc, PastLastDate)
            else _("check the event's columns against the items it lists"),
        )
    )


def _person_field(name: str) -> Callable[[Person], Any]:
    """How to read a person attribute, as a value a fact's memo can key on: a field of
    the record (a list, such as `institutions`, as a tuple), or a roster column."""
    if name in PERSON.fields:
        get = operator.attrgetter(name)
        if isinstance(PERSON.fields[name], ListT):
            return lambda person: tuple(get(person))
        return get
    return lambda person: person.attrs.get(name)


_new_tuple = tuple.__new__


_START = operator.attrgetter("start")


def _needs_cycles(fn: Callable) -> int:
    """How many cycles a rule's compiled condition needs before it can hold (0: it
    may hold with any number): dsl/compile.py's length guard on `cycles`."""
    name, least = getattr(fn, "needs", ("", 0))
    return max(least, 0) if name == "cycles" else 0


def person_reads(expr) -> tuple[str, ...] | None:
    """The person attributes an expression reads, when it reads nothing else but the
    as-of date (so its value is a function of them); else None."""
    if not expr.names <= {"person", "as_of"}:
        return None
    nodes = list(ast.walk(expr.node))
    if any(isinstance(n, ast.Lambda) for n in nodes):
        return None
    under_attr = {id(n.obj) for n in nodes if isinstance(n, ast.Attr)}
    if any(isinstance(n, ast.Name) and n.id == "person" and id(n) not in under_attr for n in nodes):
        return None  # the person as a whole
    return tuple(sorted(a for name, a in expr.attrs if name == "person"))


@contextlib.contextmanager
def paused_gc(resume: bool = True):
    """Pause the cyclic garbage collector while a ledger is folded.

    The fold allocates an object or two per event and creates no reference
    cycles, but each allocation counts towards the next collection, and the
    collections of the oldest generation walk every live object, the ledger's
    million rows included, again and again: about half the fold's time. Paused,
    nothing is lost but that walking.

    `resume=False` leaves it paused: for a process that ends without freeing what
    the run holds (the console script), whose collector's first pass once resumed
    would walk all of it (0.4 s on bench/) to free nothing.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was and resume:
            gc.enable()


def cycle_label(policy: Policy, d: _dt.date) -> tuple[str, _dt.date, _dt.date]:
    """The cycle containing d: its label, first and last day."""
    c = policy.cycle
    return calendar.cycle_of(c.start_month, c.start_day, d)


def _cycle_step(period, old, counted, new, cap) -> str:
    """`cycle 2024: 1 + 3 = 4 deducted`; when the cycle's cap bites, says so rather
    than print a sum that looks wrong (`1 + 12 = 12`)."""
    if cap is not None and old + counted > new:
        return _(
            "cycle {period}: {old} + {counted} = {sum}, capped at {cap}: {new} deducted"
        ).format(
            period=period,
            old=number_text(old),
            counted=number_text(counted),
            sum=number_text(old + counted),
            cap=number_text(cap),
            new=number_text(new),
        )
    return _("cycle {period}: {old} + {counted} = {new} deducted").format(
        period=period, old=number_text(old), counted=number_text(counted), new=number_text(new)
    )
