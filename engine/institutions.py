"""Institution rules: aggregates over one institution's staff in one cycle.

While the fold runs, `InstitutionTracker.record` keeps, for each person on a
roster, a dated snapshot of their cycle (deducted, violations, sanctions) each
time it changes. Afterwards each institution and cycle is judged: its staff
are the roster's people at the institution, `sanctioned` counts those
suspended or terminated in the cycle by their own conduct (a cascade from the
institution's own sanction does not count), and each institution rule is
evaluated on the cycle's final state. A rule that holds is dated by the first
day on which it held, found by bisecting the dates on which a member changed;
this assumes the condition, once true, stays true within the cycle, which holds
for every condition built from counts that only grow.
"""

from __future__ import annotations

import bisect
import datetime as _dt
from typing import Any

from .ledger import Event, Ledger
from .model import Policy
from .outcome import ActionRec, InstitutionOutcome
from .scopes import Env


class Member:
    """A staff member's cycle as institution rules see it (`m.deducted`, ...)."""

    __slots__ = ("person", "deducted", "score", "violations", "max_item_points", "suspended",
                 "terminated", "sanctioned")

    def __init__(self, person: str, deducted=0, score=0, violations=0, max_item_points=0,
                 suspended=False, terminated=False):
        self.person, self.deducted, self.score = person, deducted, score
        self.violations, self.max_item_points = violations, max_item_points
        self.suspended, self.terminated = suspended, terminated
        self.sanctioned = suspended or terminated


class InstitutionTracker:
    def __init__(self, policy: Policy):
        self.policy = policy
        self.initial = policy.scale.initial
        # (person, period) -> ([dates], [Member]) in date order
        self.history: dict[tuple[str, str], tuple[list[_dt.date], list[Member]]] = {}
        self.periods: dict[str, tuple[_dt.date, _dt.date]] = {}

    def record(self, st: Any, cyc: Any, d: _dt.date) -> None:
        if not st.person.institutions:
            return
        suspended = terminated = False
        for a in st.actions:
            if a.source in ("cascade", "ban", "restoration", "reapplication"):
                continue
            if cyc.start <= a.start <= cyc.end:
                if a.action == "suspend":
                    suspended = True
                elif a.action == "terminate":
                    terminated = True
        m = Member(st.code, cyc.deducted, cyc.score, cyc.violations, cyc.max_item_points,
                   suspended, terminated)
        key = (st.code, cyc.period)
        self.periods.setdefault(cyc.period, (cyc.start, cyc.end))
        entry = self.history.get(key)
        if entry is None:
            self.history[key] = ([d], [m])
        elif entry[0][-1] == d:
            entry[1][-1] = m
        else:
            entry[0].append(d)
            entry[1].append(m)

    def members(self, staff: list[str], period: str, on: _dt.date | None) -> list[Member]:
        out = []
        for code in staff:
            entry = self.history.get((code, period))
            if entry is None:
                out.append(Member(code, score=self.initial or 0))
                continue
            dates, snaps = entry
            if on is None:
                out.append(snaps[-1])
                continue
            i = bisect.bisect_right(dates, on)
            out.append(snaps[i - 1] if i else Member(code, score=self.initial or 0))
        return out

    def change_dates(self, staff: list[str], period: str) -> list[_dt.date]:
        dates: set[_dt.date] = set()
        for code in staff:
            entry = self.history.get((code, period))
            if entry is not None:
                dates.update(entry[0])
        return sorted(dates)


def institution_outcomes(policy: Policy, ledger: Ledger, as_of: _dt.date,
                         inst_events: list[Event], tracker: InstitutionTracker | None
                         ) -> list[InstitutionOutcome]:
    if tracker is None:
        return []
    env = Env()
    by_inst: dict[tuple[str, str], list[ActionRec]] = {}
    from .evaluate import cycle_label

    for ev in inst_events:
        c = policy.cascades.get(ev.type)
        kind = "suspend" if ev.type == "institution_suspended" else "terminate"
        rec = ActionRec(kind, ev.date, ev.end, c.cite if c else "", "event", [ev.id])
        period, start, end = cycle_label(policy, ev.date)
        tracker.periods.setdefault(period, (start, end))
        by_inst.setdefault((ev.institution, period), []).append(rec)
    out = []
    for inst in sorted(ledger.staff):
        staff = ledger.staff[inst]
        for period in sorted(tracker.periods):
            members = tracker.members(staff, period, None)
            touched = any((code, period) in tracker.history for code in staff)
            actions = list(by_inst.get((inst, period), []))
            if not touched and not actions:
                continue
            sanctioned = sum(1 for m in members if m.sanctioned)
            for rule in policy.institution_rules:
                if not _holds(env, rule, staff, sanctioned, members, period):
                    continue
                first = _first_date(env, rule, tracker, staff, period)
                for spec in rule.then:
                    rec = ActionRec(spec.kind, first, None, rule.cite, f"rule:{rule.id}", [])
                    if spec.kind in policy.actions:
                        rec.extra["label"] = policy.actions[spec.kind].label
                    actions.append(rec)
            actions.sort(key=lambda a: (a.start, a.source))
            out.append(InstitutionOutcome(inst, period, len(staff), sanctioned, actions))
    return out


def _holds(env: Env, rule, staff, sanctioned, members, period) -> bool:
    env.staff, env.sanctioned, env.members, env.period = len(staff), sanctioned, members, period
    return bool(rule.when.fn(env))


def _first_date(env: Env, rule, tracker: InstitutionTracker, staff, period) -> _dt.date:
    dates = tracker.change_dates(staff, period)
    lo, hi = 0, len(dates) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        members = tracker.members(staff, period, dates[mid])
        sanctioned = sum(1 for m in members if m.sanctioned)
        if _holds(env, rule, staff, sanctioned, members, period):
            hi = mid
        else:
            lo = mid + 1
    if dates:
        return dates[lo]
    return tracker.periods[period][0]
