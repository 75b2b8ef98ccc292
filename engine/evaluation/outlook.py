"""Stage "evaluate", looking ahead: how far a person is from their next band.

What a compliance office most wants to know is who is about to be sanctioned:
"2 points from a 3-month suspension". The fold already knows each cycle's total
and the harshest band fired in it; this module reads them, on the as-of date,
against the policy's bands (`policy/bands.py`), and says which band the next
deduction would fire and how many points away it is.

The rules are the fold's (docs/semantics.md):

- the cycle is the one containing the as-of date; a person with no record in it
  starts it at zero with no band fired when the policy's cycle resets points and
  tiers, and carries the last cycle's total and bands where it does not;
- within a cycle a band fires at most once and never after a harsher one, so the
  next band is the mildest band harsher than the harshest fired;
- its distance is the smallest reachable total inside it (a multiple of the
  scale's unit, `first_step`) less the current total; a band beyond the cycle's
  cap is not reachable, and a person who is terminated fires no band at all.

Tiers whose condition is not a plain band (`tier.band is None`) cannot be
measured this way and are passed over. Rules over several cycles (Jining's
three years of nine points) are not bands and are not looked ahead to.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, NamedTuple

from engine import calendar
from engine.policy.bands import first_step
from engine.policy.model import Policy, Tier


class NextBand(NamedTuple):
    """The band a person's next deductions would fire, and how far away it is."""

    tier: Tier
    points_away: Any  # a number of points (int, or an exact Fraction)

    @property
    def pair(self) -> tuple[str, Any]:
        """(tier id, points away): what an outcome keeps (PersonOutcome.next_band)."""
        return self.tier.id, self.points_away


class Outlook:
    """Next-band look-ups for one policy on one as-of date (built once per evaluation)."""

    def __init__(self, policy: Policy, as_of: _dt.date):
        c = policy.cycle
        self.period = calendar.cycle_of(c.start_month, c.start_day, as_of)[0]
        self.resets_points = "points" in c.resets
        self.resets_tiers = "tiers" in c.resets
        self.cap = c.cap
        self.rank = {t.id: i for i, t in enumerate(policy.tiers)}
        # each measurable tier, in order of harshness, with the least total inside it
        self.steps: list[tuple[int, Tier, Any]] = []
        for i, t in enumerate(policy.tiers):
            if t.band is None:
                continue
            step = first_step(t.band, policy.scale.unit)
            if step is None or (self.cap is not None and step > self.cap):
                continue
            self.steps.append((i, t, step))
        self.memo: dict[tuple | None, NextBand | None] = {}

    def current(self, last: tuple[str, Any, str | None] | None) -> tuple[Any, int]:
        """(total, rank of the harshest band fired) in the as-of cycle, from a person's
        last cycle record (period, deducted, tier), or None if they have none."""
        if last is not None and last[0] == self.period:
            return last[1], self.rank.get(last[2], -1) if last[2] else -1
        if last is None:
            return 0, -1
        total = 0 if self.resets_points else last[1]
        fired = -1 if self.resets_tiers or not last[2] else self.rank.get(last[2], -1)
        return total, fired

    def next_band(self, status: str, last: tuple[str, Any, str | None] | None) -> NextBand | None:
        """The next band for a person with this status whose last cycle record is
        `last` (period, deducted, tier; None: no record), or None (terminated, or no
        harsher band left to fire)."""
        if status == "terminated":
            return None
        try:  # a province's people share a few dozen (period, total, band) records
            return self.memo[last]
        except KeyError:
            pass
        except TypeError:  # an unhashable total: looked up as it is
            return self._next(last)
        found = self.memo[last] = self._next(last)
        if len(self.memo) > 100_000:
            self.memo.clear()
        return found

    def _next(self, last: tuple[str, Any, str | None] | None) -> NextBand | None:
        total, fired = self.current(last)
        for i, tier, step in self.steps:
            if i > fired and step > total:
                return NextBand(tier, step - total)
        return None
