"""A row's checks against the policy it will be evaluated under.

What a `(type, items)` pair means is worked out once per pair (a `Profile`):
the item codes exist (with a "did you mean" hint), each belongs to the event's
type, and which of `points`, `amount` and `institution` the row must then
give. `RowChecks.row` checks the cells that depend on the row beyond that pair
(decided points inside an item's range, an amount where an item computes from
it, an `end` only on an institution's suspension, who the event concerns). A
plain row, whose pair needs none of this, skips it (`Profile.slow`).
"""

from __future__ import annotations

import re

from engine.errors import closest
from engine.i18n import _
from engine.ledger.rows import EVENT_TYPES, INSTITUTION_TYPES
from engine.ledger.tables import Problems
from engine.ledger.values import Values
from engine.numbers import number_text as _n  # 3, 1.5, 2/3 in messages
from engine.policy.model import Item, Policy

# rows that refer to a finding (corrections.py): an amendment restates the finding's items;
# a revocation or a decision lists none; the person may be left to the finding's
_AMEND, _REFERRING = "amend", frozenset({"revoke", "amend", "decision"})
# what a person may put between several item codes, where the ledger asks for `|`
_OTHER_SEPARATORS = re.compile(r"[;,；，、/\s]+")


def _listing(codes) -> str:
    codes = sorted(codes)
    if len(codes) > 12:
        return _(", ").join(codes[:12]) + _(", ... ({n} in all)").format(n=len(codes))
    return _(", ").join(codes)


class Profile:
    """What a `(type, items)` pair means under the policy, worked out once."""

    __slots__ = (
        "type",
        "items",
        "errors",
        "points_items",
        "ranges",
        "amount_item",
        "institution",
        "slow",
    )

    def __init__(self, type_, items, errors, points_items, ranges, amount_item, institution):
        self.type = type_
        self.items = items
        self.errors = errors
        self.points_items = points_items
        self.ranges = ranges
        self.amount_item = amount_item
        self.institution = institution
        self.slow = bool(errors or points_items or amount_item or institution)


class RowChecks:
    """The checks of one file's rows against `policy`, reported to its `Problems`."""

    def __init__(self, policy: Policy, problems: Problems, values: Values):
        self.policy = policy
        self.problems = problems
        self.values = values
        self.unit = policy.scale.unit
        # the policy's item and credit codes: an institution cell holding one has slid
        self.codes = frozenset(policy.items) | frozenset(policy.credits)

    def profile(self, type_text: str, items_text: str) -> Profile:
        policy = self.policy
        errors: list[tuple[str, str, str | None]] = []
        raw_type = type_text.strip()
        etype = raw_type.lower() or "violation"
        parts = [c.strip() for c in items_text.split("|")] if items_text.strip() else []
        codes = tuple(dict.fromkeys(c for c in parts if c))
        if etype not in EVENT_TYPES:
            near = closest(etype, EVENT_TYPES)
            hint = (_("did you mean `{near}`? ").format(near=near) if near else "") + _(
                "types are {types} (empty means violation)"
            ).format(types=_(", ").join(EVENT_TYPES))
            errors.append(("type", _("unknown event type `{type}`").format(type=raw_type), hint))
            return Profile(None, codes, tuple(errors), (), (), None, False)
        if "" in parts:
            errors.append(
                (
                    "item",
                    _("`items` has an empty code: `{items}`").format(items=items_text.strip()),
                    _("separate codes with a single `|`, e.g. `A1|B2`"),
                )
            )
        repeated = sorted({c for c in parts if c and parts.count(c) > 1})
        for code in repeated:
            errors.append(
                (
                    "item",
                    _("item `{code}` is listed twice in one event").format(code=code),
                    _("list each code once; several acts are several rows"),
                )
            )
        resolved: list[Item] = []
        if etype in ("violation", "credit", _AMEND):
            own, other = (
                (policy.items, policy.credits)
                if etype != "credit"
                else (policy.credits, policy.items)
            )
            violation = etype != "credit"
            if not codes:
                errors.append(
                    (
                        "item",
                        (
                            _("a `{type}` event needs at least one item code in `items`")
                            if violation
                            else _("a `{type}` event needs at least one credit code in `items`")
                        ).format(type=etype),
                        _("e.g. `{code}`").format(code=_listing(own).split(",")[0])
                        if own
                        else None,
                    )
                )
            for code in codes:
                item = own.get(code)
                if item is not None:
                    resolved.append(item)
                elif code in other:
                    if etype != "credit":
                        errors.append(
                            (
                                "item",
                                _("`{code}` is a credit, not a violation item").format(code=code),
                                _("use type `credit`"),
                            )
                        )
                    else:
                        errors.append(
                            (
                                "item",
                                _("`{code}` is a violation item, not a credit").format(code=code),
                                _("use type `violation`, or a code from the policy's `credits`"),
                            )
                        )
                elif etype == "credit" and not own:
                    errors.append(
                        (
                            "item",
                            _("unknown credit code `{code}`").format(code=code),
                            _("policy `{id}` defines no credits").format(id=policy.id),
                        )
                    )
                else:
                    near = closest(code, own)
                    parts = [x for x in _OTHER_SEPARATORS.split(code) if x]
                    if len(parts) > 1 and all(x in own for x in parts):  # A1;A2, A1、A2
                        hint = _("separate several items with `|`: `{codes}`").format(
                            codes="|".join(parts)
                        )
                    elif near:
                        hint = _("did you mean `{near}`?").format(near=near)
                    elif violation:
                        hint = _("policy `{id}` has items {codes}")
                    else:
                        hint = _("policy `{id}` has credits {codes}")
                    hint = hint.format(id=policy.id, codes=_listing(own))
                    message = (
                        _("unknown item code `{code}`")
                        if violation
                        else _("unknown credit code `{code}`")
                    )
                    errors.append(("item", message.format(code=code), hint))
        elif codes:
            errors.append(
                (
                    "item",
                    _("a `{type}` event lists no items").format(type=etype),
                    _("leave `items` empty"),
                )
            )
        points_items = tuple(it for it in resolved if "points" in it.needs)
        ranges = tuple(it for it in resolved if it.points_kind == "range")
        amount_item = next((it for it in resolved if "amount" in it.needs), None)
        return Profile(
            etype,
            codes,
            tuple(errors),
            points_items,
            ranges,
            amount_item,
            etype in INSTITUTION_TYPES,
        )

    def row(
        self,
        prof: Profile,
        person: str,
        institution,
        date,
        points_s: str,
        amount_s: str,
        end_s: str,
        line: int,
        items_s: str,
        occurred_s: str = "",
    ):
        """Check what depends on the row beyond its (type, items); returns
        (ok, amount, points, end, occurred)."""
        problems = self.problems
        before = len(problems.items)
        points_s, amount_s, end_s = points_s.strip(), amount_s.strip(), end_s.strip()
        for code, message, hint in prof.errors:
            problems.add(code, message, line, hint)
        etype = prof.type
        amount = points = end = None
        if etype is None:  # unknown type: nothing else can be judged
            return False, None, None, None, None
        occurred = self.act_date(etype, occurred_s, date, line)
        if points_s:
            points = self.values.number(points_s, line, "points")
            if points is not None:
                if not prof.points_items:
                    message = (
                        _("points `{points}` given, but no item in `{items}` takes a decided value")
                        if prof.items
                        else _("points `{points}` given, but a `{type}` event takes no points")
                    )
                    problems.add(
                        "points",
                        message.format(points=points_s, items=items_s.strip(), type=etype),
                        line,
                        _("only range items (`points: {min, max}`) read `points`; leave it empty"),
                    )
                else:
                    for it in prof.ranges:
                        if not it.low <= points <= it.high:
                            problems.add(
                                "points",
                                _(
                                    "points `{points}` is outside item `{code}`'s range: "
                                    "{low} to {high} points per {cite}"
                                ).format(
                                    points=_n(points),
                                    code=it.code,
                                    low=_n(it.low),
                                    high=_n(it.high),
                                    cite=it.cite,
                                ),
                                line,
                                _("give a value from {low} to {high}").format(
                                    low=_n(it.low), high=_n(it.high)
                                ),
                            )
                    if self.unit and points % self.unit:
                        problems.add(
                            "points",
                            _(
                                "points `{points}` is not a whole multiple of the policy's "
                                "unit {unit}"
                            ).format(points=_n(points), unit=_n(self.unit)),
                            line,
                        )
        elif prof.points_items and (
            it := next((i for i in prof.points_items if i.points_kind != "band"), None)
        ):
            # (a band item's value may come from its grade, or not be needed when the
            # finding is not scored: evaluation/scoring.py asks for it when it must)
            if it.points_kind == "range":
                message = _(
                    "item `{code}` takes {low} to {high} points: give the decided value in `points`"
                ).format(code=it.code, low=_n(it.low), high=_n(it.high))
            else:
                message = _("item `{code}` computes its points from `points`: give it").format(
                    code=it.code
                )
            problems.add("points", message, line, _("see {cite}").format(cite=it.cite))
        if amount_s:
            amount = self.values.number(amount_s, line, "amount")
        elif prof.amount_item is not None:
            it = prof.amount_item
            computes = it.expr is not None and (
                "amount" in it.expr.names or ("event", "amount") in it.expr.attrs
            )
            message = (
                _("item `{code}` computes its points from `amount`")
                if computes
                else _("item `{code}` decides an effect from `amount`")
            )
            problems.add(
                "amount",
                message.format(code=it.code),
                line,
                _("give the fund loss in yuan in `amount`"),
            )
        if end_s:
            if etype != "institution_suspended":
                problems.add(
                    "end",
                    _("`end` is only used by `institution_suspended` events, not `{type}`").format(
                        type=etype
                    ),
                    line,
                    _("leave it empty"),
                )
            else:
                end = self.values.date(end_s, line, "end", "end")
                if end is not None and date is not None and end < date:
                    problems.add(
                        "end",
                        _("end `{end}` is before the event's date `{date}`").format(
                            end=end, date=date
                        ),
                        line,
                    )
        if prof.institution:
            if person:
                problems.add(
                    "person",
                    # (the code itself is not quoted: no personal data in a message)
                    _("an `{type}` event concerns an institution: leave `person` empty").format(
                        type=etype
                    ),
                    line,
                    _("its staff come from the roster"),
                )
            if not institution:
                problems.add(
                    "institution",
                    _("an `{type}` event needs `institution`").format(type=etype),
                    line,
                    _("give the institution's code as on the roster"),
                )
        elif not person and etype not in _REFERRING:
            problems.add(
                "person",
                _("a `{type}` event needs `person`").format(type=etype),
                line,
                _("give the practitioner's code"),
            )
        return len(problems.items) == before, amount, points, end, occurred

    def act_date(self, etype: str, occurred_s: str, date, line: int):
        """The `occurred` cell: the date of a finding's act, when the ledger gives it
        apart from the decision's `date` (None when empty). An act is decided after it
        happens, never before; only a finding is an act."""
        occurred_s = occurred_s.strip()
        if not occurred_s:
            return None
        if etype != "violation":
            self.problems.add(
                "occurred",
                _("`occurred` dates the act of a finding, not a `{type}` event").format(type=etype),
                line,
                _("leave it empty"),
            )
            return None
        occurred = self.values.date(occurred_s, line, "occurred", "occurred")
        if occurred is not None and date is not None and occurred > date:
            self.problems.add(
                "occurred",
                _("the act `occurred` on {occurred}, after its decision `date` {date}").format(
                    occurred=occurred, date=date
                ),
                line,
                _("`occurred` is when the act happened, `date` when it was decided: swap them?"),
            )
            return None
        return occurred
