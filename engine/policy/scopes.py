"""Which names each place in a policy may use, and their types.

The checker reads these scopes; the evaluator fills an `Env` with the same
names. Keeping both sides in one module is what makes "unknown name" a load
error rather than a crash in the middle of a ledger.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any

from engine.dsl.types import BOOL, DATE, NUM, STR, ListT, Optional, RecordT, Type
from engine.policy.model import Number
from engine.vocabulary import Status

EVENT = RecordT(
    "event",
    {
        "id": STR,
        "person": STR,
        "date": DATE,
        "type": STR,
        "items": ListT(STR),
        "institution": Optional(STR),
        "inspection": Optional(STR),
        "amount": Optional(NUM),
        "points": Optional(NUM),
        "end": Optional(DATE),
    },
    extra=Optional(STR),
)

PERSON = RecordT("person", {"person": STR, "institutions": ListT(STR)}, extra=Optional(STR))

CYCLE = RecordT(
    "cycle",
    {
        "period": STR,
        "start": DATE,
        "end": DATE,
        "deducted": NUM,
        "score": NUM,
        "credited": NUM,
        "violations": NUM,
        "max_item_points": NUM,
    },
)

ACTION = RecordT(
    "action",
    {
        "action": STR,
        "start": DATE,
        "end": Optional(DATE),
        "cite": STR,
        "source": STR,
        "institution": Optional(STR),
    },
)

VIOLATION = RecordT(
    "violation",
    {
        "date": DATE,
        "points": NUM,
        "items": ListT(STR),
        "institution": Optional(STR),
    },
)

MEMBER = RecordT(
    "member",
    {
        "person": STR,
        "deducted": NUM,
        "score": NUM,
        "violations": NUM,
        "max_item_points": NUM,
        "suspended": BOOL,
        "terminated": BOOL,
        "sanctioned": BOOL,
    },
)


# The values a text can take where the engine alone decides them (Checker's `closed`):
# an event's type (the ledger's EVENT_TYPES: tests/test_validate.py holds them equal),
# the actions an `actions` record can name besides the policy's own, and how a
# terminating total was reached.
EVENT_TYPES = frozenset(
    {"violation", "reapply", "credit", "institution_suspended", "institution_terminated"}
    # rows that correct or decide on a finding (ledger/corrections.py): read out of the
    # ledger before the fold, so an expression never sees one
    | {"revoke", "amend", "decision"}
)
ACTION_KINDS = frozenset(
    {"interview", "suspend", "terminate", "refer", "ban", "restore", "reinstate"}
)
REACHED_BY = frozenset({"single", "accumulation"})
# `cause` when the terminating item or rule names none (sanctions.py)
ENGINE_CAUSES = frozenset({"points", "rule", "item"})


def closed_values(named_actions, causes) -> dict:
    """The closed sets of texts for a policy with these named actions and item/rule
    causes, as the checker takes them."""
    return {
        ("event", "type"): EVENT_TYPES,
        ("action", "action"): ACTION_KINDS | frozenset(named_actions),
        "reached_by": REACHED_BY,
        "cause": ENGINE_CAUSES | frozenset(causes),
    }


def _totals(has_score: bool) -> dict[str, Type]:
    names: dict[str, Type] = {"deducted": NUM}
    if has_score:
        names["score"] = NUM
    return names


def item_scope() -> dict[str, Type]:
    return {"amount": Optional(NUM), "event": EVENT, "person": PERSON}


def tier_scope(has_score: bool) -> dict[str, Type]:
    return {**_totals(has_score), "cycle": CYCLE, "event": EVENT, "person": PERSON}


def reset_scope(has_score: bool) -> dict[str, Type]:
    """`cycle.reset_when`: the ending cycle's totals."""
    return {**_totals(has_score), "cycle": CYCLE}


def rule_scope(has_score: bool) -> dict[str, Type]:
    return {
        **tier_scope(has_score),
        "cycles": ListT(CYCLE),
        "actions": ListT(ACTION),
        "suspensions": NUM,
        "terminations": NUM,
    }


def ban_scope(has_score: bool) -> dict[str, Type]:
    return {**tier_scope(has_score), "cause": STR, "terminations": NUM, "reached_by": STR}


def reapply_scope() -> dict[str, Type]:
    return {
        "date": DATE,
        "violations": ListT(VIOLATION),
        "terminations": NUM,
        "event": EVENT,
        "person": PERSON,
    }


def institution_scope() -> dict[str, Type]:
    return {"staff": NUM, "sanctioned": NUM, "members": ListT(MEMBER), "period": STR}


def fact_scope() -> dict[str, Type]:
    return {"person": PERSON, "as_of": DATE}


# ---- claims (`claims:` rules, screened by `policyctl screen`) ---------------------------
# A rule reads one claim line and the practitioner's status on its date of service.
# The standard columns are names of their own (`visit`, `days_supply`); any other
# column of the claims file is `claim.NAME`, read as text. Every column may be
# empty in a real settlement extract, so each is optional: `days_supply > 3` on an
# empty cell cannot be decided (the screen counts such lines and reports them).

CLAIM_COLUMNS: dict[str, Type] = {
    "claim_id": Optional(STR),
    "person": Optional(STR),
    "institution": Optional(STR),
    "date": Optional(DATE),
    "amount": Optional(NUM),
    "visit": Optional(STR),  # outpatient | inpatient | emergency | rescue
    "days_supply": Optional(NUM),
    "condition": Optional(STR),  # acute | chronic
    "mobility_limited": Optional(BOOL),
}

# The columns the join and the output need whatever the rules read.
CLAIM_KEYS = ("claim_id", "person", "institution", "date", "amount")

CLAIM = RecordT("claim", CLAIM_COLUMNS, extra=Optional(STR))

# The sanction behind the status on the claim's date (all empty while active).
SANCTION = RecordT(
    "sanction",
    {
        "action": Optional(STR),  # suspend | terminate | awaiting_reapplication
        "start": Optional(DATE),
        "end": Optional(DATE),
        "cite": Optional(STR),
        "source": Optional(STR),
        "scope": Optional(STR),  # person | institution
        "institution": Optional(STR),
    },
)

STATUSES = tuple(Status)


def claim_scope() -> dict[str, Type]:
    return {**CLAIM_COLUMNS, "claim": CLAIM, "status": STR, "sanction": SANCTION}


class ClaimEnv:
    """What a claims rule's closure reads, for one line (the interpreter's side of
    the screen; the engine's side is the same rule compiled to SQL)."""

    __slots__ = (*CLAIM_COLUMNS, "claim", "status", "sanction", "loc")

    def __init__(self) -> None:
        self.loc: list = [None] * 8


class Env:
    """The environment compiled expressions read: one attribute per scope name.

    One instance is reused by the evaluator (no dict per event), and filled only
    through the `bind_*` methods below, one per scope: each sets every name its
    scope (the function of the same name above) lets an expression read, so no
    name read can keep a value from an earlier event, person or scope
    (tests/test_expressions.py checks each against its scope). `loc` holds the
    values bound to function arguments while a list function runs.
    """

    __slots__ = (
        "amount",
        "event",
        "person",
        "deducted",
        "score",
        "cycle",
        "cycles",
        "actions",
        "suspensions",
        "terminations",
        "cause",
        "reached_by",
        "date",
        "violations",
        "staff",
        "sanctioned",
        "members",
        "period",
        "as_of",
        "loc",
    )

    # What each name holds; the records are the ledger's and the fold's (`Event`,
    # `Person`, the fold's `CycleState`), left as Any here: this stage comes first.
    amount: Number | None
    event: Any
    person: Any
    deducted: Number
    score: Number
    cycle: Any
    cycles: list[Any]
    actions: list[Any]
    suspensions: int
    terminations: int
    cause: str
    reached_by: str
    date: _dt.date
    violations: list[Any]
    staff: int
    sanctioned: int
    members: Sequence[Any]
    period: str
    as_of: _dt.date
    loc: list[Any]

    def __init__(self) -> None:
        self.loc = [None] * 8

    def bind_item(self, event: Any, person: Any) -> Env:
        """item_scope: an item's points or an effect's condition, for one finding."""
        self.amount, self.event, self.person = event.amount, event, person
        return self

    def bind_tier(self, cycle: Any, event: Any, person: Any) -> Env:
        """tier_scope: a tier's condition, on the cycle's totals after a finding."""
        self.deducted, self.score, self.cycle = cycle.deducted, cycle.score, cycle
        self.event, self.person = event, person
        return self

    def bind_reset(self, cycle: Any) -> Env:
        """reset_scope: `cycle.reset_when`, on a cycle as it ends."""
        self.deducted, self.score, self.cycle = cycle.deducted, cycle.score, cycle
        return self

    def bind_rule(
        self,
        cycle: Any,
        event: Any,
        person: Any,
        cycles: list[Any],
        actions: list[Any],
        suspensions: int,
        terminations: int,
    ) -> Env:
        """rule_scope: a history rule, on the registration's cycles and sanctions."""
        # (tier_scope's names set here, not through bind_tier: this runs per finding)
        self.deducted, self.score, self.cycle = cycle.deducted, cycle.score, cycle
        self.event, self.person = event, person
        self.cycles, self.actions = cycles, actions
        self.suspensions, self.terminations = suspensions, terminations
        return self

    def bind_ban(
        self, cycle: Any, event: Any, person: Any, cause: str, terminations: int, reached_by: str
    ) -> Env:
        """ban_scope: a ban rule, on the termination just decided."""
        self.bind_tier(cycle, event, person)
        self.cause, self.terminations, self.reached_by = cause, terminations, reached_by
        return self

    def bind_reapply(
        self,
        date: _dt.date,
        violations: list[Any],
        terminations: int,
        event: Any,
        person: Any,
    ) -> Env:
        """reapply_scope: a re-application condition."""
        self.date, self.violations, self.terminations = date, violations, terminations
        self.event, self.person = event, person
        return self

    def bind_institution(
        self, staff: int, sanctioned: int, members: Sequence[Any], period: str
    ) -> Env:
        """institution_scope: an institution rule, on one institution and cycle."""
        self.staff, self.sanctioned, self.members, self.period = staff, sanctioned, members, period
        return self

    def bind_fact(self, person: Any, as_of: _dt.date) -> Env:
        """fact_scope: a fact about a person, on the as-of date."""
        self.person, self.as_of = person, as_of
        return self
