"""Procedural deadlines: the days by which a notice, objection or appeal is due.

A policy's `deadlines` count from an action's decision day, or from another
deadline, in calendar or working days (the Chinese holiday calendar, see
calendar.py). Many actions share a decision day, so results are cached per
(action, day).
"""

from __future__ import annotations

import datetime as _dt

from engine import calendar
from engine.evaluation.outcome import ActionRec
from engine.policy.model import Policy


class Deadlines:
    def __init__(self, policy: Policy):
        self.policy = policy
        self._cache: dict[tuple[str, _dt.date], tuple[dict[str, _dt.date], bool]] = {}

    def __bool__(self) -> bool:
        return bool(self.policy.deadlines)

    def attach(self, rec: ActionRec, base: _dt.date) -> tuple[dict[str, _dt.date], bool]:
        """Date the deadlines of an action record decided on `base`, onto the record;
        each deadline id -> its day, and whether exact (False where the holiday calendar
        did not cover a day and weekdays were counted).

        Records decided the same day for the same action share one dict (never changed
        after it is made): a ledger's thousands of suspensions fall on a few hundred days.
        """
        key = (rec.action, base)
        known = self._cache.get(key)
        if known is None:
            known = self._cache[key] = self._compute(rec.action, base)
        found, exact = known
        if found:
            rec.extra["deadlines"] = found
            if not exact:
                rec.extra["deadlines_approximate"] = True
        return found, exact

    def _compute(self, action: str, base: _dt.date) -> tuple[dict[str, _dt.date], bool]:
        found: dict[str, _dt.date] = {}
        exact = True
        for dl in self.policy.deadlines:
            if dl.on is not None and action not in dl.on:
                continue
            frm = base if dl.after == "action" else found.get(dl.after)
            if frm is None:
                continue
            if dl.within.unit == "working day":
                day, ok = calendar.add_working_days(frm, int(dl.within.amount))
                exact = exact and ok
            else:
                day = calendar.add(frm, dl.within)
            found[dl.id] = day
        return found, exact
