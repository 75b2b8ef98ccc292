"""Stage "evaluate", which version of a regulation scores a finding: 从旧兼从轻.

The Administrative Penalty Law (2021), art. 37: the rule in force when the act
occurred applies; if the rule in force when the decision is made is lighter, or
no longer counts the act as a violation, the new rule applies. Input: a
regulation's history (policy.versions.History) and a finding; output: a
`Scored`: the version that scores it, its codes in that version's catalogue, the
points, and why, in words a reader checks against the article.

- The act's date is the event's `occurred` column (YYYY-MM-DD), else its `date`
  (the decision). An act dated after its decision is bad input.
- The finding's item codes are read in the catalogue of the version in force when
  the act occurred (the rule it broke), and carried to the decision's version
  through the history's code maps (`supersedes.map`, else diff's pairing). A code
  with no counterpart there is an act the new rule no longer counts.
- Both versions score the act, each with its own items and `combine.same_act`;
  the lighter wins: the one whose items terminate on their own (an effect such as
  fraud's) is the heavier, else the one with more points. Equal: the old rule
  (从旧). A range item's decided `points` is brought into each version's range.
- An act that no version covers (before the first, in a gap) is scored by the
  decision's version, or the nearest one, and counted as outside (the outcome's
  warning), as a single policy counts events outside its period.

Cycle-level consequences (bands, rules, bans, restoration) are not chosen here:
they follow the version in force on the date each is decided (the fold).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from engine import calendar
from engine.policy.model import Item, Policy
from engine.policy.scopes import Env
from engine.policy.versions import History

OCCURRED = "occurred"  # the optional ledger column: the act's date
ART_37 = "《行政处罚法》第三十七条"  # 从旧兼从轻


@dataclass(frozen=True, slots=True)
class Scored:
    """A finding as the chosen version scores it."""

    version: int  # index in the history
    codes: tuple[str, ...]  # in that version's catalogue
    points: Any
    reason: str
    outside: bool = False  # no version was in force on the act's date
    counted: bool = True  # False: the decision's version no longer counts the act


class Lenity:
    """Chooses, per finding, the version of a history that scores it."""

    def __init__(self, history: History):
        self.h = history
        self.env = Env()

    def occurred(self, ev) -> _dt.date:
        """The act's date: the `occurred` column, else the decision's date."""
        text = (ev.attrs.get(OCCURRED) or "").strip() if ev.attrs else ""
        if not text:
            return ev.date
        try:
            d = calendar.parse_date(text)
        except ValueError as exc:
            raise ValueError(f"column `{OCCURRED}`: {exc}") from None
        if d > ev.date:
            raise ValueError(f"the act `{OCCURRED}` {d} is dated after its decision {ev.date}")
        return d

    def nearest(self, d: _dt.date) -> int:
        """The version in force on d, else the last that started before it, else the
        first."""
        i = self.h.index_at(d)
        if i is not None:
            return i
        starts = [_dt.date.fromisoformat(p.effective_from) for p in self.h.versions]
        before = [k for k, s in enumerate(starts) if s <= d]
        return before[-1] if before else 0

    def score(self, ev, person) -> Scored:
        h = self.h
        act = self.occurred(ev)
        b = h.index_at(ev.date)
        a = h.index_at(act)
        codes = tuple(ev.items)
        if a is None:
            b = self.nearest(ev.date) if b is None else b
            pts = self.points(h.versions[b], ev, person, codes)
            return Scored(b, codes, pts, f"no version was in force on {act}", outside=True)
        if b is None or b == a:
            v = h.versions[a]
            pts = self.points(v, ev, person, codes)
            why = f"version {v.version}, in force when the act occurred ({act})"
            return Scored(a, codes, pts, why, outside=b is None)
        old, new = h.versions[a], h.versions[b]
        carried = tuple(c for c in (h.carry(code, a, b) if a < b else code for code in codes) if c)
        p_old = self.points(old, ev, person, codes)
        if not carried:
            return Scored(
                b,
                (),
                0,
                f"version {new.version} in force at the decision ({ev.date}) no longer "
                f"counts the act of {act} ({', '.join(codes)} under {old.version}): "
                f"从旧兼从轻, {ART_37}",
                counted=False,
            )
        p_new = self.points(new, ev, person, carried)
        heavy_old = self.terminates(old, ev, person, codes)
        heavy_new = self.terminates(new, ev, person, carried)
        if (heavy_new, p_new) < (heavy_old, p_old):
            return Scored(
                b,
                carried,
                p_new,
                f"version {new.version} in force at the decision ({ev.date}) is lighter "
                f"than {old.version} in force when the act occurred ({act}): "
                f"{_n(p_new)} points against {_n(p_old)}; 从旧兼从轻, {ART_37}",
            )
        return Scored(
            a,
            codes,
            p_old,
            f"version {old.version}, in force when the act occurred ({act}); version "
            f"{new.version} at the decision is not lighter ({_n(p_new)} points against "
            f"{_n(p_old)}): 从旧, {ART_37}",
        )

    # -- one version's view of the act ---------------------------------------------------
    def points(self, policy: Policy, ev, person, codes: tuple[str, ...]):
        """The act's points under a version: its items, as its `same_act` counts them."""
        values = [self.item_points(policy.items[c], ev, person) for c in codes]
        if not values:
            return 0
        return max(values) if policy.combine.same_act == "highest" else sum(values)

    def item_points(self, item: Item, ev, person):
        kind = item.points_kind
        if kind == "fixed":
            return item.points
        if kind == "range":  # the decided value, brought into this version's range
            value = ev.points if ev.points is not None else item.low
            return min(max(value, item.low), item.high)
        env = self.env
        env.amount, env.event, env.person = ev.amount, ev, person
        value = item.expr.fn(env)
        if isinstance(value, bool) or not isinstance(value, (int, Fraction)) or value < 0:
            raise ValueError(f"item `{item.code}` gave `{value}`, not a number of points")
        return value

    def terminates(self, policy: Policy, ev, person, codes: tuple[str, ...]) -> bool:
        """Whether the act's items terminate on their own under a version (an effect
        such as fraud's), whatever the total."""
        env = self.env
        for code in codes:
            for eff in policy.items[code].effects:
                if any(s.kind == "terminate" for s in eff.then):
                    if eff.when is None:
                        return True
                    env.amount, env.event, env.person = ev.amount, ev, person
                    if eff.when.fn(env):
                        return True
        return False


def _n(x) -> str:
    from engine.numbers import number_text

    return number_text(x)
