"""Stage "evaluate" over a regulation's history: one fold, each decision under its version.

Input: a `History` (policy/versions.py: the versions of one regulation, each in
force for a period) and a ledger read against it (ledger/versions.py); output:
an `Outcome` as `fold.evaluate` gives for one policy, plus, per person, the
versions that touched them and, per finding, the version that scored it and
why. The choices (docs/semantics.md, "A regulation that changes"):

- **A finding** is scored under the version in force when its act occurred, or
  under the one in force at the decision when that is lighter or no longer
  counts the act (从旧兼从轻, 《行政处罚法》第三十七条: lenity.py). Its item's own
  effects (fraud's termination) are that version's.
- **Everything decided on a date** — the band the total enters, the history
  rules, what a fired band or rule does, the ban, re-applications, cascades —
  follows the version in force on that date: a consequence is decided under the
  rule in force when it is decided, never under a repealed one. Restoration
  follows the version in force on the day the suspension is over; a cycle's
  reset, the one in force when the new cycle begins; the status and
  `reapply_from` reported, the one in force on the as-of date.
- **A cycle that straddles a change** keeps its total: the points counted
  before the change stay counted (each scored under its own rule). The new
  version's bands that the total had already reached when it came into force
  (or that the band fired under the old version had reached) count as fired:
  a band fires when a finding decided under the version carries the total into
  it, so a total reached under the old rule is not sanctioned again by the new
  one's bands (法不溯及既往), and a later finding that carries it into a band the
  new version has and the old one had not fires that band. History rules and
  clauses keep their ids: a rule that fired in the cycle under the old version
  does not fire again under a new version that keeps its id.

How: one `VersionView` (an `Evaluator` for one version) per version, sharing the
people's states, the institutions' tracker and the lists the fold keeps; the
`HistoryEvaluator` is the view of the version in force on the as-of date, and
hands each date's events to the view of the version in force on that date. A
view scores every finding through `Lenity` (its own fast path off) and tells
the evaluator the choice.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable
from typing import Any

from engine.evaluation.decisions import Decisions
from engine.evaluation.fold import Evaluator
from engine.evaluation.lenity import ART_37, Basis, Lenity, Scored
from engine.evaluation.outcome import Outcome, PersonOutcome, PersonRow, Step, iso, num
from engine.evaluation.points import Act
from engine.evaluation.scoring import refuse_case_scoring
from engine.evaluation.state import CycleState, PersonState
from engine.evaluation.story import say, say_event
from engine.evaluation.trail import Trails
from engine.i18n import _, ngettext
from engine.ledger.read import Event, Ledger
from engine.policy.bands import first_step
from engine.policy.model import Item
from engine.policy.versions import History


def evaluate_history(
    history: History,
    ledger: Ledger,
    as_of: _dt.date,
    explain: Iterable[str] = (),
    progress: Callable[[int, str], None] | None = None,
) -> Outcome:
    """Evaluate a ledger across a regulation's versions, as of a date."""
    return HistoryEvaluator(history, ledger, as_of, set(explain), progress).run()


class VersionView(Evaluator):
    """One version's part of a history's fold: what is decided while it is in force."""

    def __init__(self, run: HistoryEvaluator, index: int, *args: Any):
        self.run_ = run  # (before the fold's own set-up, which makes the decisions)
        super().__init__(run.history.versions[index], *args)
        self.index = index
        # the fold's fast path prices a finding off `points.plans` without asking
        # points_of: kept empty, every finding goes through lenity
        self.points.LIMIT = 0

    # ---- a finding: its version (lenity), then the bands of this one -------------------
    def violation(
        self,
        st: PersonState,
        ev: Event,
        last: bool = True,
        start: Any = None,
        step: list[Event] | None = None,
    ) -> None:
        run = self.run_
        space = run.space.get(st.code)
        if space is not None and space != self.index:
            self.rebase(st, self.current_cycle(st, ev.date), ev, run.views[space])
        run.space[st.code] = self.index
        super().violation(st, ev, last, start, step)

    def points_of(self, st: PersonState, ev: Event) -> Act:
        """What the finding counts under the version lenity chooses (or nothing)."""
        run = self.run_
        lenity = run.lenity
        i = self.index
        if ev.occurred is None and st.trace is None and lenity.ranged[i].isdisjoint(ev.items):
            # the act is of the decision's date, so of this view's version alone (its
            # fold_day is this date's): its points as that version's cached plans give
            # them, without the comparison (a finding of one version, the common case)
            act = lenity.points[i].of(ev, st.person)
            outside = not lenity.version(ev.date)[1]
            basis = Basis.IN_FORCE
            run.scored(
                st,
                ev,
                Scored(i, ev.items, act.points, basis, ev.date, None, outside, act.per_item),
                i,
            )
            return act
        s = lenity.score(ev, st.person)
        run.scored(st, ev, s, i)
        view = run.views[s.version]
        run.items = (ev, [(c, view.p.items[c]) for c in s.codes])
        if st.trace is not None:
            say(st, ev.date, "note", s.reason(run.history), _basis_cite(s), ev)
        if s.points is None:
            return Act(None, False, False, None)  # type: ignore[arg-type]
        plan = view.points.plan(s.codes)
        if st.trace is not None:
            say_event(view.p, st, _as_listed(ev, s.codes), s.points, s.per_item)
        return plan._replace(points=s.points, per_item=s.per_item)

    def act_items(self, ev: Event) -> list[tuple[str, Item]]:
        found, items = self.run_.items
        return items if found is ev else super().act_items(ev)

    def rebase(self, st: PersonState, cyc: CycleState, ev: Event, before: Evaluator) -> None:
        """The cycle's fired bands, read in this version's bands: those the total has
        reached, or the band fired under the version before had reached, and the band
        of the same id as that one, count as fired (module docstring, "A cycle that
        straddles a change")."""
        reached = cyc.deducted
        same = -1
        if cyc.fired >= 0:
            fired = before.tiers[cyc.fired]
            low = None if fired.band is None else first_step(fired.band, before.unit)
            if low is not None and low > reached:
                reached = low
            same = next((i for i, t in enumerate(self.tiers) if t.id == fired.id), -1)
        total = cyc.deducted
        cyc.deducted = reached  # (band_index reads the cycle's total)
        try:
            idx = max(self.band_index(cyc, ev, st), same)
        finally:
            cyc.deducted = total
        cyc.fired = idx
        if st.trace is not None and (total or idx >= 0):
            say(
                st,
                ev.date,
                "note",
                _(
                    "version {version} decides from here: its bands that the cycle's total "
                    "has reached count as fired ({fired})"
                ).format(
                    version=self.p.version,
                    fired=self.tiers[idx].id if idx >= 0 else _("none"),
                ),
                None,
                ev,
            )

    # ---- corrections and decisions: the history's, made once (by the HistoryEvaluator) --
    def make_trails(self, original: Ledger, known: Ledger) -> Trails | None:
        """None: a view's fold shares the history's, whose trails are worked out across
        the versions (HistoryEvaluator.make_trails)."""
        return None

    def make_decisions(self, known: Ledger) -> Decisions:
        return Decisions(self.p, known, (self.run_.history.restoration_on, None))

    # ---- what follows from time: under the version in force then ------------------------
    def new_cycle(self, st: PersonState, index: int, prev: CycleState | None) -> CycleState:
        """A new cycle, its reset decided by the version in force on its first day."""
        c = self.p.cycle
        view = self.run_.view_on(_dt.date(index, c.start_month, c.start_day))
        if view is self:
            return super().new_cycle(st, index, prev)
        return Evaluator.new_cycle(view, st, index, prev)

    def restoration_on(self, d: _dt.date, st: PersonState | None = None) -> tuple[str, str]:
        run = self.run_
        view = run.view_on(d)
        if st is not None:
            run.touched.setdefault(st.code, set()).add(view.index)
        return view.p.restoration, view.p.restoration_cite


class HistoryEvaluator(VersionView):
    """The fold over a history: the view of the version in force on the as-of date,
    driving the others."""

    def __init__(
        self,
        history: History,
        ledger: Ledger,
        as_of: _dt.date,
        explain: set[str],
        progress,
    ):
        refuse_case_scoring(history)
        self.history = history
        self.lenity = Lenity(history)
        # person -> the version whose bands their cycle's `fired` counts in
        self.space: dict[str, int] = {}
        # person -> each finding as scored (`Scored`, with its event), and the versions
        # that decided anything about them
        self.findings: dict[str, list[tuple[Event, Scored]]] = {}
        self.touched: dict[str, set[int]] = {}
        self.items: tuple[Event | None, list] = (None, [])  # the act being folded's items
        self.gap = 0  # events dated in a gap between versions
        self.acts_outside = 0  # findings whose act no version was in force for
        self.on: dict[_dt.date, int] = {}
        k = history.nearest(as_of)
        args = (ledger, as_of, explain, progress)
        super().__init__(self, k, *args)
        self.views: list[VersionView] = [
            self if i == k else VersionView(self, i, *args) for i in range(len(history))
        ]
        tracked = next((p for p in history.versions if p.institution_rules), None)
        if self.institutions is not None and tracked is not None:
            from engine.evaluation.institutions import InstitutionTracker

            self.use_institutions(InstitutionTracker(tracked))
        for view in self.views:
            if view is not self:
                self.share(view)
        first, last = history.versions[0], history.versions[-1]
        self.period = (
            _dt.date.fromisoformat(first.effective_from),
            _dt.date.fromisoformat(last.effective_to) if last.effective_to else None,
        )

    def make_trails(self, original: Ledger, known: Ledger) -> Trails | None:
        """Each correction's trail with its person evaluated again across the history,
        each finding under the version that reads it (trail.py), not under the as-of
        version alone."""
        return Trails(self.history, original, known.corrections, self.as_of, _person_outcome)

    def share(self, view: VersionView) -> None:
        """What every view folds into: the one set of people, sites and lists."""
        view.states = self.states
        view.off_roster = self.off_roster
        view.inst_list = self.inst_list
        view.use_institutions(self.institutions)
        view.step_points = self.step_points

    def view_on(self, d: _dt.date) -> VersionView:
        """The view of the version in force on d (else the nearest)."""
        i = self.on.get(d)
        if i is None:
            i = self.on[d] = self.history.nearest(d)
        return self.views[i]

    def fold_day(self, day: list[Event]) -> None:
        d = day[0].date
        view = self.view_on(d)
        lo, hi = self.period
        if self.history.index_at(d) is None and lo <= d and (hi is None or d <= hi):
            self.gap += len(day)
        touched = self.touched
        for ev in day:
            if ev.person:
                touched.setdefault(ev.person, set()).add(view.index)
        if view is self:
            super().fold_day(day)
        else:
            view.fold_day(day)

    def scored(self, st: PersonState, ev: Event, s: Scored, decided: int) -> None:
        """Note a finding's version, for the output and the versions that touched them."""
        self.findings.setdefault(st.code, []).append((ev, s))
        self.touched.setdefault(st.code, set()).update((s.version, decided))
        if s.outside:
            self.acts_outside += 1

    def scored_act(self, ev: Event) -> tuple[tuple[int, str], list[tuple[str, Item, Any]]] | None:
        """A finding just folded as its version scored it, for the HTML report's count of
        items (report/collect.py): ((index, version), [(code, item, points), ...]), None
        when it was not scored."""
        for e, s in reversed(self.findings.get(ev.person, ())):
            if e is ev:
                if s.points is None:
                    return None
                policy = self.history.versions[s.version]
                per = s.per_item or [(s.codes[0], s.points)]
                return (s.version, policy.version), [(c, policy.items[c], v) for c, v in per]
        return None

    # ---- finishing: the as-of version's, with each person's versions and findings --------
    def finish_person(self, code: str) -> tuple[PersonOutcome, list[Step] | None]:
        outcome, trace = super().finish_person(code)
        outcome.history = self.person_history(code)
        return outcome, trace

    def finish_row(self, code: str) -> PersonRow:
        return super().finish_row(code)._replace(history=self.person_history(code))

    def person_history(self, code: str) -> dict:
        """`versions` (those that decided or scored anything about the person, in date
        order) and `findings` (each finding's version and basis), as the JSON has them."""
        versions = self.history.versions
        touched = sorted(self.touched.pop(code, ()))
        out: dict[str, Any] = {"versions": [versions[i].version for i in touched]}
        out["findings"] = [_finding(ev, s, self.history) for ev, s in self.findings.pop(code, [])]
        return out

    def outcome(self, people, traces, institutions=None) -> Outcome:
        out = super().outcome(people, traces, institutions)
        h = self.history
        out.policy_id = h.id
        out.effective = (h.versions[0].effective_from, h.versions[-1].effective_to)
        out.versions = [
            {"version": p.version, "from": p.effective_from, "to": p.effective_to}
            for p in h.versions
        ]
        if self.gap:
            out.notes.append(
                ngettext(
                    "{n} event is dated where no version of `{id}` is in force; it was "
                    "evaluated under the version before",
                    "{n} events are dated where no version of `{id}` is in force; they were "
                    "evaluated under the version before",
                    self.gap,
                ).format(n=self.gap, id=h.id)
            )
        if self.acts_outside:
            out.notes.append(
                ngettext(
                    "{n} finding's act (`occurred`) is dated where no version of `{id}` is "
                    "in force; it was read under the nearest version",
                    "{n} findings' acts (`occurred`) are dated where no version of `{id}` is "
                    "in force; they were read under the nearest version",
                    self.acts_outside,
                ).format(n=self.acts_outside, id=h.id)
            )
        return out


def _person_outcome(history: History, ledger: Ledger, as_of: _dt.date, code: str) -> PersonOutcome:
    """The outcome of the one person a ledger holds the events of, across the history
    (trail.py); with no event left and off the roster, nothing has happened to them."""
    return HistoryEvaluator(history, ledger, as_of, set(), None).person(code)


def _as_listed(ev: Event, codes: tuple[str, ...]) -> Event:
    """The finding as its scoring version lists it (for the story of its items)."""
    if codes == ev.items:
        return ev
    from copy import copy

    e = copy(ev)
    e.items = codes
    return e


def _basis_cite(s: Scored) -> str | None:
    return None if s.basis is Basis.IN_FORCE else ART_37


def _finding(ev: Event, s: Scored, h: History) -> dict:
    """A finding's record in the output: its event, the act's date, the version that
    scored it, its items there, the points (null: not scored), the basis and, where
    two versions were compared, the points under each."""
    date = iso(ev.date)
    pts = s.points
    d: dict[str, Any] = {
        "event": ev.id,
        "date": date,
        "occurred": date if s.act is ev.date else iso(s.act),
        "version": h.versions[s.version].version,
        "items": list(s.codes),
        "points": pts if pts is None or type(pts) is int else num(pts),
        "basis": s.basis.value,
    }
    if s.compared is not None:
        a, b, p_old, p_new = s.compared
        d["compared"] = {
            h.versions[a].version: None if p_old is None else num(p_old),
            h.versions[b].version: None if p_new is None else num(p_new),
        }
        d["cite"] = ART_37
    if s.outside:
        d["outside"] = True
    return d
