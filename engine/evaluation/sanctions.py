"""Stage "evaluate", its sanctions: what a fired tier, rule or item does to a person.

Input: the person's state, the `ActionSpec` a tier, rule or item's effect fired
(or a re-application or institution event) and the event behind it; output:
`ActionRec`s added to the person's actions, and their status, running
suspension, queue and ban brought up to date. The evaluator (`fold.py`)
decides when something fires; this module decides what follows, with the
semantics the design states for every policy (docs/semantics.md):

- A sanction starts on the date of the event that triggers it; N months from
  D ends on D + N months - 1 day. A discretionary length (`1 to 2 years`) is
  the shortest unless the event's `suspension` or `ban` column decides it.
- A harsher suspension starting while another runs replaces it from its own
  start (`overlap: replace`); a milder one, or any under `overlap: queue`,
  starts the day after the running one ends.
- A termination ends a running suspension the day before it and drops the
  queue; the first ban rule that matches dates the wait before a
  re-application.
- Restoration is automatic at the end of a suspension or needs a
  re-application (`restoration.by`); points keep adding up within the cycle
  and bands already fired stay fired. (Suspensions end with time in
  `Evaluator.advance`.)
- A person reinstated after a termination is a new registration: the cycle's
  total restarts at zero and no band has fired; earlier terminations still
  count for the next ban.
- While terminated, findings are recorded but fire nothing: there is no
  agreement left to act on.
- Institution events reach the institution's staff on the roster as
  site-scoped sanctions (`institutions.cascade`): they count for no ban, and
  change a person's status only when every site of theirs is affected.

`Sanctions` is one object per evaluation, made by the `Evaluator` with what it
needs: the policy, the expression environment, the deadlines, the institutions'
tracker, and (the `Cycles` protocol) the fold's way of finding a person's cycle
on a date and opening a fresh one for a new registration.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from fractions import Fraction
from typing import Any, Protocol

from engine import calendar
from engine.calendar import ONE_DAY
from engine.dsl import ast
from engine.dsl.ast import Duration
from engine.errors import BadValue
from engine.evaluation.deadlines import Deadlines
from engine.evaluation.institutions import InstitutionTracker
from engine.evaluation.outcome import ActionExtra, ActionRec
from engine.evaluation.state import CycleState, PersonState, Year
from engine.evaluation.story import say
from engine.i18n import N_, _
from engine.ledger.read import Event
from engine.policy.model import ActionSpec, Number, Policy
from engine.policy.scopes import Env
from engine.vocabulary import (
    ACTIVE,
    AWAITING,
    BAN,
    BY_BAN,
    BY_CASCADE,
    BY_REAPPLICATION,
    INTERVIEW,
    REINSTATE,
    RESTORE,
    SUSPEND,
    SUSPENDED,
    TERMINATE,
    TERMINATED,
    Source,
)


class Cycles(Protocol):
    """What the sanctions need from the fold: the cycle a date falls in for a person
    (made as the fold makes it, the first time), and a fresh cycle record for a new
    registration (a reinstatement)."""

    def current_cycle(self, st: PersonState, d: _dt.date) -> CycleState: ...

    def new_cycle(self, st: PersonState, index: int, prev: CycleState | None) -> CycleState: ...


class Sanctions:
    """What follows a fired tier, rule or item: apply an action, suspend, terminate,
    ban, re-admit; and the cascades of an institution's own events."""

    def __init__(
        self,
        policy: Policy,
        env: Env,
        deadlines: Deadlines,
        institutions: InstitutionTracker | None,
        cycles: Cycles,
    ):
        self.p = policy
        self.env = env
        self.deadlines = deadlines
        self.institutions = institutions
        self.cycles = cycles
        # the total a single finding must reach to count as reaching the top at once
        # (ban conditions' `reached_by == "single"`): the cap, else the initial score
        cap, initial = policy.cycle.cap, policy.scale.initial
        self.top: Number | None = cap if cap is not None else initial

    # ---- actions -------------------------------------------------------------------------
    def apply(
        self,
        st: PersonState,
        spec: ActionSpec,
        ev: Event,
        cite: str,
        source: Source,
        cause: str,
        points: Number,
    ) -> None:
        kind = spec.kind
        d = ev.date
        if kind == SUSPEND:
            self.suspend(st, spec, ev, cite, source)
        elif kind == TERMINATE:
            self.terminate(st, ev, cite, source, cause, points)
        else:
            if st.status is TERMINATED and kind == INTERVIEW:
                return
            rec = ActionRec(kind, d, None, cite, source, [ev.id])
            if kind in self.p.actions:
                rec.extra["label"] = self.p.actions[kind].label
            st.actions.append(rec)
            if st.trace is not None:
                say(st, d, "action", f"{spec.text}", cite, ev)
            self.add_deadlines(rec, st=st)

    def length(
        self, spec: ActionSpec, ev: Event, column: str
    ) -> tuple[Duration | None, ActionExtra]:
        """An action's length: fixed, or within a range as decided by the event's column
        (the range's low end when not decided); and what the record says of it (a new
        dict, the caller's to keep)."""
        act = spec.action
        if act.high is None:
            return act.low, {}
        decided = ev.attrs.get(column)
        if not decided:
            if act.low is None:
                # a bound with no floor (不超过30天): undecided, and dated by the bound,
                # the latest the decision can reach, never by an invented shortest length
                extra: ActionExtra = {
                    "discretionary": True,
                    "range": _range_text(act),
                    "undecided": True,
                }
                return act.high, extra
            return act.low, {"discretionary": True, "range": _range_text(act)}
        from engine.dsl.parser import ExprSyntaxError, parse_expr

        try:
            dur = parse_expr(decided)
        except ExprSyntaxError:
            dur = None
        if not isinstance(dur, Duration) or not isinstance(dur.amount, int):
            raise BadValue(
                _(
                    "column `{column}` should be a duration such as `18 months`, not `{value}`"
                ).format(column=column, value=decided)
            )
        floor = _months(act.low) if act.low is not None else 0
        if dur.amount == 0 or not floor <= _months(dur) <= _months(act.high):
            raise BadValue(
                _("decided {column} `{value}` is outside {allowed}").format(
                    column=column, value=decided, allowed=spec.text
                )
            )
        return dur, {"discretionary": True, "range": _range_text(act), "decided": str(dur)}

    def suspend(
        self, st: PersonState, spec: ActionSpec, ev: Event, cite: str, source: Source
    ) -> None:
        d = ev.date
        if st.status is TERMINATED:
            if st.trace is not None:
                say(
                    st,
                    d,
                    "note",
                    _("{action}: not applied, the person is terminated").format(action=spec.text),
                    cite,
                    ev,
                )
            return
        dur, extra = self.length(spec, ev, "suspension")
        end = calendar.last_day(d, dur) if dur is not None else None
        rec = ActionRec(SUSPEND, d, end, cite, source, [ev.id], extra)
        rec.length = dur
        cur = st.suspension
        if cur is not None and (cur.end is None or cur.end >= d):
            harsher = cur.end is not None and (end is None or end > cur.end)
            if self.p.overlap == "replace" and harsher:
                self.cut(st, cur, d, rec)
                if st.trace is not None:
                    say(
                        st,
                        d,
                        "action",
                        _(
                            "{action} from {start} to {end}, replacing the "
                            "running suspension from its own start"
                        ).format(action=spec.text, start=d, end=end),
                        cite,
                        ev,
                    )
            else:
                last = st.queue[-1] if st.queue else cur
                if last.end is None:  # behind an open-ended one: starts when that ends
                    start = end = None
                else:
                    start = last.end + ONE_DAY
                    end = calendar.last_day(start, dur) if dur is not None else None
                rec.start, rec.end = start or d, end
                rec.extra["queued"] = True
                st.queue = [*st.queue, rec]
                st.actions.append(rec)
                st.suspensions += 1
                self.cycles.current_cycle(st, d).suspended = True
                self.add_deadlines(rec, d, st=st)
                if st.trace is not None:
                    say(
                        st,
                        d,
                        "action",
                        _("{action}, queued after the running suspension: {start} to {end}").format(
                            action=spec.text, start=rec.start, end=rec.end
                        ),
                        cite,
                        ev,
                    )
                return
        else:
            if st.trace is not None:
                say(
                    st,
                    d,
                    "action",
                    _("{action}: {start} to {end}").format(action=spec.text, start=d, end=end)
                    + (_(" at the latest (length undecided)") if extra.get("undecided") else ""),
                    cite,
                    ev,
                )
        st.suspension = rec
        st.status = SUSPENDED
        st.awaiting_from = None
        st.suspensions += 1
        self.cycles.current_cycle(st, d).suspended = True
        self.add_deadlines(rec, st=st)
        st.actions.append(rec)

    def cut(self, st: PersonState, cur: ActionRec, d: _dt.date, by: ActionRec) -> None:
        """End a running suspension the day before d; one that starts on d, and those
        queued behind it, are superseded: they never take effect, and stay in the
        actions marked `superseded_by` (no sanction vanishes from the output)."""
        if cur.start >= d:
            cur.extra["superseded_by"] = by.source
            by.events[:0] = [e for e in cur.events if e not in by.events]
            by.extra["replaces"] = cur.source
        else:
            cur.end = d - ONE_DAY
            cur.extra["replaced_by"] = by.source
        st.suspension = None
        for q in st.queue:
            q.extra["superseded_by"] = by.source
        st.queue = ()

    def terminate(
        self, st: PersonState, ev: Event, cite: str, source: Source, cause: str, points: Number
    ) -> None:
        d = ev.date
        if st.status is TERMINATED:
            last = next((a for a in reversed(st.actions) if a.action == TERMINATE), None)
            if last is not None and last.start == d and ev.id in last.events:
                last.extra.setdefault("also", []).append({"source": source, "cite": cite})
                if st.trace is not None:
                    say(
                        st,
                        d,
                        "action",
                        _(
                            "terminate ({source}) coincides with the termination already decided"
                        ).format(source=source),
                        cite,
                        ev,
                    )
            if cause not in ("points", "rule", "item"):
                # a finding with a cause of its own (fraud) while already terminated: it is
                # no new termination, but its ban applies if it is the harsher one
                self.ban(st, ev, cause, points, harsher_only=True)
            return
        rec = ActionRec(TERMINATE, d, None, cite, source, [ev.id], {"cause": cause})
        running = st.suspension
        was = running.end if running is not None else None
        if running is not None:
            self.cut(st, running, d, rec)
        st.status = TERMINATED
        st.awaiting_from = None
        st.terminations += 1
        self.cycles.current_cycle(st, d).terminated = True
        st.actions.append(rec)
        if st.trace is not None:
            say(st, d, "action", _("terminate ({source})").format(source=source), cite, ev)
            if running is not None and running.start < d:  # told on the date the record gives
                say(
                    st,
                    d,
                    "status",
                    _("the suspension from {start} is cut short: it ends on {end}").format(
                        start=running.start, end=running.end
                    )
                    + (_(" (it was to run to {date})").format(date=was) if was else ""),
                    running.cite,
                )
        self.add_deadlines(rec, st=st)
        self.ban(st, ev, cause, points)

    def ban(
        self, st: PersonState, ev: Event, cause: str, points: Number, harsher_only: bool = False
    ) -> None:
        """Date the wait before a re-application: the first ban rule that matches.

        With harsher_only, the ban replaces the running one only if it ends later.
        """
        d = ev.date
        cyc = st.cycle or self.cycles.current_cycle(st, d)
        single = self.top is not None and points >= self.top
        env = self.env.bind_ban(
            cyc, ev, st.person, cause, st.terminations, "single" if single else "accumulation"
        )
        for b in self.p.bans:
            if b.when is not None and not b.when(env):
                continue
            act = b.then.action
            if harsher_only:
                current = st.reapply_from
                if current == "never":
                    return
                if not act.never:
                    dur, _unused = self.length(b.then, ev, "ban")
                    assert dur is not None  # a ban is `never` or has a length (the checker)
                    if isinstance(current, _dt.date) and calendar.add(d, dur) <= current:
                        return
            if act.never:
                st.reapply_from = "never"
                rec = ActionRec(BAN, d, None, b.cite, BY_BAN, [ev.id], {"never": True})
                text = _("ban never: may not re-apply")
            else:
                dur, extra = self.length(b.then, ev, "ban")
                assert dur is not None
                until = calendar.add(d, dur)
                st.reapply_from = until
                rec = ActionRec(BAN, d, until - ONE_DAY, b.cite, BY_BAN, [ev.id], extra)
                text = _("{ban}: may re-apply from {date}").format(ban=b.then.text, date=until) + (
                    _(" (the latest date its bound allows: the length is undecided)")
                    if extra.get("undecided")
                    else _(" (earliest date of a discretionary range)")
                    if extra.get("discretionary") and "decided" not in extra
                    else ""
                )
            rec.extra["reason"] = b.when.text if b.when is not None else "always"
            st.ban = rec
            st.actions.append(rec)
            if st.trace is not None:
                say(
                    st,
                    d,
                    "ban",
                    _("{text} (because {reason})").format(
                        text=text,
                        reason=_("always") if b.when is None else rec.extra["reason"],
                    ),
                    b.cite,
                    ev,
                )
            return
        if harsher_only:
            return  # no ban for this cause: the running one stands
        st.reapply_from = d
        if st.trace is not None:
            say(st, d, "ban", _("no ban applies: may re-apply at once"), None, ev)

    # ---- coming back ---------------------------------------------------------------------
    def reapply(self, st: PersonState, ev: Event) -> None:
        d = ev.date
        outcome: dict[str, Any] = {"date": d, "event": ev.id}
        # the article that decides: the ban's after a termination, else the restoration's
        cite = st.ban.cite if st.status is TERMINATED and st.ban else self.p.restoration_cite
        if st.status is TERMINATED:
            reason: str | None
            if st.reapply_from == "never":
                reason = "the ban is permanent"
            elif isinstance(st.reapply_from, _dt.date) and d < st.reapply_from:
                reason = f"the ban allows a re-application from {st.reapply_from}"
            else:
                reason = self.conditions_fail(st, ev, "termination", outcome)
            if reason:
                outcome.update(result="rejected", reason=reason)
            else:
                st.status = ACTIVE
                st.reapply_from = None
                st.registration += 1
                cyc = self.cycles.current_cycle(st, d)
                fresh = self.cycles.new_cycle(st, cyc.index, None)
                fresh.touched = True
                if self.institutions is not None:
                    self.institutions.reregister(st, cyc, fresh)
                st.cycle = fresh
                # history rules see one record per cycle, the person's across registrations
                st.cycles[-1] = Year.join(st.cycles[-1], fresh)
                st.records.append(fresh)  # the output keeps the terminated registration's
                st.actions.append(ActionRec(REINSTATE, d, None, cite, BY_REAPPLICATION, [ev.id]))
                outcome.update(
                    result="accepted",
                    reason="reinstated as a new registration: the cycle's total restarts at zero",
                )
        elif st.status is AWAITING:
            reason = self.conditions_fail(st, ev, "suspension", outcome)
            if reason:
                outcome.update(result="rejected", reason=reason)
            else:
                st.status = ACTIVE
                st.awaiting_from = None
                # (cite is the restoration's here: the person is not terminated)
                st.actions.append(ActionRec(RESTORE, d, None, cite, BY_REAPPLICATION, [ev.id]))
                outcome.update(result="accepted", reason="restored on re-application")
        elif st.status is SUSPENDED:
            back = released(st)
            outcome.update(
                result="rejected",
                reason="the suspension runs until "
                f"{back - ONE_DAY if back else 'its end'}; re-apply from {back or 'its end'}",
            )
        else:
            outcome.update(result="ignored", reason="nothing to re-apply for: already active")
        st.reapplications = [*st.reapplications, outcome]
        if st.trace is not None:
            say(
                st,
                d,
                "reapply",
                _reapply_story(outcome),
                cite,
                ev,
            )

    def conditions_fail(
        self, st: PersonState, ev: Event, after: str, record: dict[str, Any]
    ) -> str | None:
        """Why a re-application fails its policy's conditions, or None when it meets them;
        the failing condition's index goes into the re-application's record."""
        # a list, as `violations == []` reads it, also before the first violation
        env = self.env.bind_reapply(ev.date, list(st.violations), st.terminations, ev, st.person)
        for i, c in enumerate(self.p.conditions):
            if c.after not in (after, "any"):
                continue
            if not c.when(env):
                record["condition"] = i
                return f"{c.message} ({c.cite})"
        return None

    # ---- institutions --------------------------------------------------------------------
    def cascade(self, st: PersonState, ev: Event) -> None:
        c = self.p.cascades.get(ev.type)
        if c is None:
            if st.trace is not None:
                say(
                    st,
                    ev.date,
                    "note",
                    _("{type} at {institution}: the policy has no cascade for it").format(
                        type=ev.type, institution=ev.institution
                    ),
                    None,
                    ev,
                )
            return
        kind = c.then.kind
        end = None
        if kind == "suspend":
            dur = c.then.action.low
            end = (
                ev.end if ev.end is not None else (calendar.last_day(ev.date, dur) if dur else None)
            )
        rec = ActionRec(
            kind, ev.date, end, c.cite, BY_CASCADE, [ev.id], {"institution": ev.institution}
        )
        st.sites = {**(st.sites or {}), ev.institution: rec}
        # not the person's own: rules' `actions` leave it out
        st.site_actions = [*st.site_actions, rec]
        if st.trace is not None:
            say(
                st,
                ev.date,
                "action",
                (
                    _(
                        "{action} at {institution} because the institution's "
                        "own agreement was suspended"
                    )
                    if kind == "suspend"
                    else _(
                        "{action} at {institution} because the institution's "
                        "own agreement was ended"
                    )
                ).format(action=kind, institution=ev.institution)
                + (_(" (until {date})").format(date=end) if end else ""),
                c.cite,
                ev,
            )

    # ---- deadlines -----------------------------------------------------------------------
    def add_deadlines(
        self, rec: ActionRec, decided: _dt.date | None = None, st: PersonState | None = None
    ) -> None:
        """Date each procedural deadline the policy counts from this action."""
        if not self.p.deadlines:
            return
        base = decided or rec.start
        found, exact = self.deadlines.attach(rec, base)
        if found and st is not None and st.trace is not None:
            cites = {dl.id: dl.cite for dl in self.p.deadlines}
            for k, v in found.items():
                say(
                    st,
                    base,
                    "deadline",
                    _("deadline `{deadline}`: {date}").format(deadline=k, date=v)
                    + (
                        ""
                        if exact
                        else _(
                            " (weekdays only: outside the years the holiday calendar covers; "
                            "a newer chinese-calendar release may cover them)"
                        )
                    ),
                    cites[k],
                )


def released(st: PersonState) -> _dt.date | None:
    """The day after the last suspension running or queued behind it: when the person
    is free of them all (None: one of them is open-ended). A re-application can
    succeed from then, and not before (第二十条 待暂停期满后)."""
    last = st.queue[-1] if st.queue else st.suspension
    return None if last is None or last.end is None else last.end + ONE_DAY


@functools.lru_cache(maxsize=256)
def _range_text(act: ast.Action) -> str:
    """`1 to 2 years`, `6 months to 1 year`: a range as the records print it."""
    high = act.high
    assert high is not None  # (only a range is written as one)
    if act.low is None:
        return f"up to {high}"
    low = act.low.amount if act.low.unit == high.unit else str(act.low)
    return f"{low} to {act.high}"


def _months(d: Duration) -> Fraction:
    per: dict[str, int | Fraction] = {
        "day": Fraction(12, 365),
        "week": Fraction(84, 365),
        "month": 1,
        "year": 12,
        "working day": Fraction(12, 250),
    }
    return Fraction(d.amount) * per[d.unit]


# The reasons a re-application's record gives (JSON data, English), told in the story.
_REAPPLY = {
    "accepted": N_("re-application accepted: {reason}"),
    "rejected": N_("re-application rejected: {reason}"),
    "ignored": N_("re-application ignored: {reason}"),
}


def _reapply_story(outcome: dict[str, Any]) -> str:
    reason = str(outcome["reason"])
    template = _REAPPLY.get(outcome["result"])
    if template is None:
        return f"re-application {outcome['result']}: {reason}"
    return _(template).format(reason=_reason(reason))


def _reason(reason: str) -> str:
    """A record's reason in the chosen language: the fixed ones are messages; the
    variable ones (a date, a policy's own condition text) keep their data."""
    fixed = {
        "the ban is permanent": N_("the ban is permanent"),
        "reinstated as a new registration: the cycle's total restarts at zero": N_(
            "reinstated as a new registration: the cycle's total restarts at zero"
        ),
        "restored on re-application": N_("restored on re-application"),
        "nothing to re-apply for: already active": N_("nothing to re-apply for: already active"),
    }
    if reason in fixed:
        return _(fixed[reason])
    prefix = "the ban allows a re-application from "
    if reason.startswith(prefix):
        return _("the ban allows a re-application from {date}").format(date=reason[len(prefix) :])
    m = re.fullmatch(r"the suspension runs until (.*); re-apply from (.*)", reason)
    if m:
        return _("the suspension runs until {end}; re-apply from {date}").format(
            end=m.group(1), date=m.group(2)
        )
    return reason
