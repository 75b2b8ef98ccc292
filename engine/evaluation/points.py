"""Stage "evaluate", its arithmetic of one finding: what an act counts under a policy.

Input: an event (a finding, or a credit) and the person it is about; output: its
points, as the policy's items price them and its `combine.same_act` adds them
up (Jining 四: "同一违规行为涉及不同扣分情形的,按最高分值扣分"), whether it counts as
a violation, and whether an item has effects of its own. How the points enter
the cycle (the inspection rule, the cap) is the fold's `count`.

One object per policy: a history of versions (issue 14) scores an act under
each version it may fall under with that version's `Points`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, NamedTuple

from engine.errors import BadValue
from engine.evaluation.scoring import CaseScoring
from engine.i18n import _
from engine.ledger.read import Event, Person
from engine.numbers import number_text
from engine.policy.model import Item, Number, Policy
from engine.policy.scopes import Env

__all__ = ["Act", "Points"]


class Act(NamedTuple):
    """What one finding counts, before it meets the cycle."""

    points: Number
    violation: bool  # False when every item is no 违规 (a failed policy test)
    effects: bool  # an item has effects of its own (termination for fraud)
    per_item: list[tuple[str, Number]] | None  # each item's points, when several were priced
    # why `points` is None, the act counted nowhere (scoring.py): the failed `scored_when`
    # condition, or "refused"
    unscored: Any = None
    notes: tuple = ()  # (sentence, article) pairs --explain adds after the item (scoring.py)


class Points:
    """The points of findings under one policy."""

    # past this many distinct item lists, acts are priced without being kept
    LIMIT = 100_000

    def __init__(self, policy: Policy, env: Env):
        self.policy = policy
        self.env = env
        self.unit = policy.scale.unit
        self.highest = policy.combine.same_act == "highest"
        self.fixed = {
            code: i.points for code, i in policy.items.items() if i.points_kind == "fixed"
        }
        self.with_effects = frozenset(code for code, i in policy.items.items() if i.effects)
        self.not_violations = frozenset(c for c, i in policy.items.items() if not i.violation)
        # an event's item codes -> its Act when a single fixed item decides its points
        # (shared by every such finding), else an Act with points None, the rest known
        self.plans: dict[tuple[str, ...], Act] = {}
        # points that depend on the case (bands, moves, grades, conditions, refusals)
        self.case = CaseScoring(policy, self) if policy.case_scoring else None

    def of(self, ev: Event, person: Person, tell: bool = False) -> Act:
        """What the finding `ev` about `person` counts (`tell`: with the sentences a story
        tells of points that depend on the case)."""
        codes = ev.items
        # Fast path: most findings list one fixed item, and a ledger repeats few lists
        # of codes: one dict look-up gives the finished Act, shared, with nothing made
        # (points_of takes it in the fold without a call, see Evaluator.violation).
        plan = self.plans.get(codes)
        if plan is None:
            plan = self.plan(codes)
        if plan.points is not None:
            return plan
        if self.case is not None:
            return self.case.act(plan, codes, ev, person, tell)
        items = self.policy.items
        if len(codes) == 1:
            return plan._replace(points=self.item(items[codes[0]], ev, person))
        per = [(code, self.item(items[code], ev, person)) for code in codes]
        values = [v for _, v in per]
        total = max(values) if self.highest else sum(values)
        return plan._replace(points=total, per_item=per)

    def plan(self, codes: tuple[str, ...]) -> Act:
        """What a finding listing `codes` is, whatever its columns: its points when a
        single fixed item decides them (else None), whether it counts as a violation
        (not when every item is no violation, as a failed policy test), and whether
        an item has effects of its own."""
        shared = len(codes) == 1 and (self.case is None or not self.case.governs(codes))
        plan = Act(
            self.fixed.get(codes[0]) if shared else None,  # type: ignore[arg-type]
            not (self.not_violations and self.not_violations.issuperset(codes)),
            bool(self.with_effects) and not self.with_effects.isdisjoint(codes),
            None,
        )
        if len(self.plans) < self.LIMIT:
            self.plans[codes] = plan
        return plan

    def item(self, item: Item, ev: Event, person: Person) -> Number:
        """One item's points for a finding: fixed, the decided value of a range, or its
        expression's value, which must be a non-negative number of the scale's units."""
        kind = item.points_kind
        if kind == "fixed":
            return item.points  # type: ignore[return-value]
        if kind == "range":
            return ev.points
        assert item.expr is not None  # a computed item (loader.py)
        value = item.expr(self.env.bind_item(ev, person))
        if isinstance(value, bool) or not isinstance(value, (int, Fraction)):
            raise BadValue(
                _("item `{code}` gave `{value}`, not a number of points").format(
                    code=item.code, value=value
                )
            )
        if value < 0:
            raise BadValue(
                _("item `{code}` gave negative points ({value})").format(
                    code=item.code, value=number_text(value)
                )
            )
        if Fraction(value) % Fraction(self.unit):
            raise BadValue(
                _(
                    "item `{code}` gave {value} points, not a multiple of the scale's unit {unit}"
                ).format(code=item.code, value=number_text(value), unit=number_text(self.unit))
            )
        return value
