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

from engine.errors import closest
from engine.ledger.rows import EVENT_TYPES, INSTITUTION_TYPES
from engine.ledger.tables import Problems
from engine.ledger.values import Values
from engine.numbers import number_text as _n  # 3, 1.5, 2/3 in messages
from engine.policy.model import Item, Policy


def _listing(codes) -> str:
    codes = sorted(codes)
    if len(codes) > 12:
        return ", ".join(codes[:12]) + f", ... ({len(codes)} in all)"
    return ", ".join(codes)


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
            hint = (
                (f"did you mean `{near}`? " if near else "")
                + "types are "
                + ", ".join(EVENT_TYPES)
                + " (empty means violation)"
            )
            errors.append(("type", f"unknown event type `{raw_type}`", hint))
            return Profile(None, codes, tuple(errors), (), (), None, False)
        if "" in parts:
            errors.append(
                (
                    "item",
                    f"`items` has an empty code: `{items_text.strip()}`",
                    "separate codes with a single `|`, e.g. `A1|B2`",
                )
            )
        repeated = sorted({c for c in parts if c and parts.count(c) > 1})
        for code in repeated:
            errors.append(
                (
                    "item",
                    f"item `{code}` is listed twice in one event",
                    "list each code once; several acts are several rows",
                )
            )
        resolved: list[Item] = []
        if etype in ("violation", "credit"):
            own, other = (
                (policy.items, policy.credits)
                if etype == "violation"
                else (policy.credits, policy.items)
            )
            what = "item" if etype == "violation" else "credit"
            if not codes:
                errors.append(
                    (
                        "item",
                        f"a `{etype}` event needs at least one {what} code in `items`",
                        f"e.g. `{_listing(own).split(',')[0]}`" if own else None,
                    )
                )
            for code in codes:
                item = own.get(code)
                if item is not None:
                    resolved.append(item)
                elif code in other:
                    if etype == "violation":
                        errors.append(
                            (
                                "item",
                                f"`{code}` is a credit, not a violation item",
                                "use type `credit`",
                            )
                        )
                    else:
                        errors.append(
                            (
                                "item",
                                f"`{code}` is a violation item, not a credit",
                                "use type `violation`, or a code from the policy's `credits`",
                            )
                        )
                elif etype == "credit" and not own:
                    errors.append(
                        (
                            "item",
                            f"unknown credit code `{code}`",
                            f"policy `{policy.id}` defines no credits",
                        )
                    )
                else:
                    near = closest(code, own)
                    hint = (
                        f"did you mean `{near}`?"
                        if near
                        else f"policy `{policy.id}` has {what}s {_listing(own)}"
                    )
                    errors.append(("item", f"unknown {what} code `{code}`", hint))
        elif codes:
            errors.append(("item", f"a `{etype}` event lists no items", "leave `items` empty"))
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
    ):
        """Check what depends on the row beyond its (type, items); returns
        (ok, amount, points, end)."""
        problems = self.problems
        before = len(problems.items)
        points_s, amount_s, end_s = points_s.strip(), amount_s.strip(), end_s.strip()
        for code, message, hint in prof.errors:
            problems.add(code, message, line, hint)
        etype = prof.type
        amount = points = end = None
        if etype is None:  # unknown type: nothing else can be judged
            return False, None, None, None
        if points_s:
            points = self.values.number(points_s, line, "points")
            if points is not None:
                if not prof.points_items:
                    where = (
                        f"no item in `{items_s.strip()}` takes a decided value"
                        if prof.items
                        else f"a `{etype}` event takes no points"
                    )
                    problems.add(
                        "points",
                        f"points `{points_s}` given, but {where}",
                        line,
                        "only range items (`points: {min, max}`) read `points`; leave it empty",
                    )
                else:
                    for it in prof.ranges:
                        if not it.low <= points <= it.high:
                            problems.add(
                                "points",
                                f"points `{_n(points)}` is outside item "
                                f"`{it.code}`'s range: {_n(it.low)} to {_n(it.high)} "
                                f"points per {it.cite}",
                                line,
                                f"give a value from {_n(it.low)} to {_n(it.high)}",
                            )
                    if self.unit and points % self.unit:
                        problems.add(
                            "points",
                            f"points `{_n(points)}` is not a whole "
                            f"multiple of the policy's unit {_n(self.unit)}",
                            line,
                        )
        elif prof.points_items:
            it = prof.points_items[0]
            if it.points_kind == "range":
                message = (
                    f"item `{it.code}` takes {_n(it.low)} to {_n(it.high)} points: "
                    "give the decided value in `points`"
                )
            else:
                message = f"item `{it.code}` computes its points from `points`: give it"
            problems.add("points", message, line, f"see {it.cite}")
        if amount_s:
            amount = self.values.number(amount_s, line, "amount")
        elif prof.amount_item is not None:
            it = prof.amount_item
            computes = it.expr is not None and (
                "amount" in it.expr.names or ("event", "amount") in it.expr.attrs
            )
            verb = "computes its points" if computes else "decides an effect"
            problems.add(
                "amount",
                f"item `{it.code}` {verb} from `amount`",
                line,
                "give the fund loss in yuan in `amount`",
            )
        if end_s:
            if etype != "institution_suspended":
                problems.add(
                    "end",
                    f"`end` is only used by `institution_suspended` events, not `{etype}`",
                    line,
                    "leave it empty",
                )
            else:
                end = self.values.date(end_s, line, "end", "end")
                if end is not None and date is not None and end < date:
                    problems.add("end", f"end `{end}` is before the event's date `{date}`", line)
        if prof.institution:
            if person:
                problems.add(
                    "person",
                    f"an `{etype}` event concerns an institution: leave "
                    f"`person` empty, not `{person}`",
                    line,
                    "its staff come from the roster",
                )
            if not institution:
                problems.add(
                    "institution",
                    f"an `{etype}` event needs `institution`",
                    line,
                    "give the institution's code as on the roster",
                )
        elif not person:
            problems.add(
                "person", f"a `{etype}` event needs `person`", line, "give the practitioner's code"
            )
        return len(problems.items) == before, amount, points, end
